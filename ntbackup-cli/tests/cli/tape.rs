//! `ntbackup tape`: mt-style commands on a virtual drive.

use std::fs;

use crate::Env;

fn random(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 8) as u8
        })
        .collect()
}

fn loaded(env: &Env, capacity: &str, ew: &str) {
    env.ok(&[
        "vtl",
        "create",
        "L",
        "--slots",
        "2",
        "--capacity",
        capacity,
        "--early-warning",
        ew,
    ]);
    env.ok(&["vtl", "insert", "L", "--next-blank"]);
}

#[test]
fn files_written_between_filemarks_read_back_and_space_by_filemarks() {
    let env = Env::new();
    loaded(&env, "8MiB", "512KiB");
    let a = random(700_000, 1);
    let b = random(123_457, 2);
    fs::write(env.path().join("a"), &a).unwrap();
    fs::write(env.path().join("b"), &b).unwrap();
    let t = ["--tape", "vtl:L"];
    env.ok(&[
        &["tape", "write", "a", "--block-size", "64KiB", "--filemark"][..],
        &t,
    ]
    .concat());
    env.ok(&[&["tape", "write", "b", "--filemark"][..], &t].concat());
    env.ok(&[&["tape", "rewind"][..], &t].concat());
    env.ok(&[&["tape", "fsf", "1"][..], &t].concat());
    env.ok(&[&["tape", "read", "b2"][..], &t].concat());
    assert_eq!(fs::read(env.path().join("b2")).unwrap(), b);
    env.ok(&[&["tape", "bsf", "2"][..], &t].concat());
    env.ok(&[&["tape", "fsf", "1"][..], &t].concat());
    assert!(
        env.ok(&[&["tape", "tell"][..], &t].concat())
            .contains("At block 12."),
        "11 blocks + 1 filemark"
    );
    env.ok(&[&["tape", "seek", "0"][..], &t].concat());
    env.ok(&[&["tape", "read", "a2"][..], &t].concat());
    assert_eq!(fs::read(env.path().join("a2")).unwrap(), a);
    let err = env.fails(&[&["tape", "fsf", "5"][..], &t].concat());
    assert!(err.contains("end of data"), "{err}");
    let status = env.ok(&[&["tape", "status"][..], &t].concat());
    assert!(
        status.contains("file 2") && status.contains("EOD"),
        "{status}"
    );
}

#[test]
fn writing_into_the_early_warning_zone_warns_and_the_physical_end_fails_cleanly() {
    let env = Env::new();
    loaded(&env, "1MiB", "256KiB");
    fs::write(env.path().join("big"), random(2_000_000, 3)).unwrap();
    let out = env.run(&[
        "tape",
        "write",
        "big",
        "--block-size",
        "64KiB",
        "--tape",
        "vtl:L",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("physical end of medium"), "{err}");
    let status = env.ok(&["tape", "status", "--tape", "vtl:L"]);
    assert!(status.contains("EW"), "{status}");
}

#[test]
fn write_protected_cartridges_are_refused() {
    let env = Env::new();
    loaded(&env, "1MiB", "64KiB");
    env.ok(&["vtl", "protect", "L", "--barcode", "VT0001"]);
    fs::write(env.path().join("x"), b"hello").unwrap();
    let err = env.fails(&["tape", "write", "x", "--tape", "vtl:L"]);
    assert!(err.contains("write-protected"), "{err}");
    assert!(
        env.ok(&["tape", "status", "--tape", "vtl:L"])
            .contains("Protected:  yes")
    );
}
