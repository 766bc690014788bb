//! `ntbackup catalog rebuild` and `ntbackup catalog list` through the real binary: the catalog
//! file is deleted, rebuilt from the cartridges, and lists and restores as before.

use std::fs;
use std::path::Path;

use crate::{Env, describe, random, text};

/// About 18 MiB of incompressible files, a symbolic link and an empty directory.
fn make_tree(root: &Path, seed: u64) {
    for i in 0..18u64 {
        let dir = root.join(format!("d{}", i % 3));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join(format!("f{i}")),
            random(1_000_000 + i as usize, seed + i),
        )
        .unwrap();
    }
    fs::write(root.join("small"), b"hello\n").unwrap();
    fs::create_dir_all(root.join("empty")).unwrap();
    std::os::unix::fs::symlink("d0/f0", root.join("link")).unwrap();
}

fn lose_catalog(env: &Env) {
    for name in ["catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"] {
        let p = env.path().join("home").join(name);
        if p.exists() {
            fs::remove_file(p).unwrap();
        }
    }
}

#[test]
fn a_deleted_catalog_is_rebuilt_from_the_cartridges_and_restores_still_work() {
    let env = Env::new();
    env.ok(&[
        "vtl",
        "create",
        "L",
        "--slots",
        "10",
        "--capacity",
        "8MiB",
        "--early-warning",
        "512KiB",
    ]);
    make_tree(&env.path().join("TREE"), 1);
    let out = env.shell(
        "ntbackup backup TREE --tape vtl:L --changer vtl:L --job nightly --description monday",
    );
    assert!(out.status.success(), "{}", text(&out));
    // MTF dates have whole seconds: sets started within the same second could come back from
    // the tapes in either order (and so with swapped ids).
    // (The binary reads the system clock; nothing to inject, so the next second is waited for.)
    assert!(env.shell("sleep 1.1").status.success());
    fs::write(env.path().join("TREE/small"), b"tuesday\n").unwrap();
    fs::write(env.path().join("TREE/d1/new"), random(70_000, 7)).unwrap();
    let out = env.shell(
        "ntbackup backup TREE --tape vtl:L --changer vtl:L --job nightly --description tuesday --no-tape-catalog",
    );
    assert!(out.status.success(), "{}", text(&out));
    let tree = describe(&env.path().join("TREE"));
    let before = env.ok(&["catalog", "list"]);
    assert_eq!(
        before.lines().count(),
        3,
        "a header and two sets:\n{before}"
    );
    assert!(
        before.contains("nightly") && before.contains("complete"),
        "{before}"
    );

    lose_catalog(&env);
    assert!(env.ok(&["catalog", "list"]).contains("holds no backup set"));
    let out = env.shell("ntbackup catalog rebuild --tape vtl:L");
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("read through its tape catalog"), "{log}");
    assert!(log.contains("scanned block by block"), "{log}");
    assert!(
        log.contains("Catalog rebuilt:") && log.contains("2 sets"),
        "{log}"
    );
    let after = env.ok(&["catalog", "list"]);
    assert_eq!(after, before, "the same sets, ids, media and sizes");

    // The newest set, with the media the rebuilt catalog names.
    let out = env.shell("ntbackup restore --tape vtl:L --changer vtl:L --to OUT");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(describe(&env.path().join("OUT/TREE")), tree);

    // Again: nothing doubles.
    let out = env.shell("ntbackup catalog rebuild --tape vtl:L --scan");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(env.ok(&["catalog", "list"]), before);
}

#[test]
fn a_bkf_file_is_catalogued_again_from_the_file_alone() {
    let env = Env::new();
    make_tree(&env.path().join("TREE"), 2);
    let out = env.shell("ntbackup backup TREE --tape file:x.bkf --job tofile");
    assert!(out.status.success(), "{}", text(&out));
    let before = env.ok(&["catalog", "list"]);
    lose_catalog(&env);
    let out = env.shell("ntbackup catalog rebuild --tape x.bkf");
    assert!(out.status.success(), "{}", text(&out));
    let after = env.ok(&["catalog", "list"]);
    assert_eq!(after, before);
    assert!(after.contains("tofile"), "{after}");
    let out = env.shell("ntbackup catalog rebuild --tape no-such-barcode");
    assert!(!out.status.success());
    assert!(text(&out).contains("no-such-barcode"), "{}", text(&out));
}
