//! `ntbackup vtl`: issue 2's acceptance commands, as written, and concurrency.

use std::thread;

use crate::Env;

#[test]
fn acceptance_commands_work_as_written() {
    let env = Env::new();
    let out = env.ok(&[
        "vtl",
        "create",
        "L",
        "--slots",
        "6",
        "--drives",
        "1",
        "--capacity",
        "8MiB",
        "--early-warning",
        "512KiB",
    ]);
    assert!(
        out.contains("8.0 MiB") && out.contains("512.0 KiB"),
        "{out}"
    );
    let status = env.ok(&["vtl", "status", "L"]);
    assert_eq!(status.matches("blank").count(), 6, "{status}");
    assert!(status.contains("Drive 0:  empty"), "{status}");
    assert!(
        env.ok(&["vtl", "insert", "L", "--drive", "0", "--next-blank"])
            .contains("VT0001")
    );
    assert!(
        env.ok(&["vtl", "insert", "L", "--drive", "0", "--barcode", "VT0003"])
            .contains("VT0003")
    );
    assert!(
        env.ok(&["vtl", "eject", "L", "--drive", "0"])
            .contains("VT0003")
    );
    env.ok(&["vtl", "protect", "L", "--barcode", "VT0002"]);
    assert!(env.ok(&["vtl", "status", "L"]).contains("write-protected"));
    env.ok(&["vtl", "protect", "L", "--barcode", "VT0002", "--off"]);
    assert!(!env.ok(&["vtl", "status", "L"]).contains("write-protected"));
    let added = env.ok(&["vtl", "add", "L", "--count", "4"]);
    assert!(
        added.contains("VT0007") && added.contains("VT0010"),
        "{added}"
    );
    let tape = env.ok(&["tape", "status", "--tape", "vtl:L"]);
    assert!(tape.contains("Medium:     none"), "{tape}");
    env.ok(&["vtl", "insert", "L", "--drive", "0", "--barcode", "VT0003"]);
    let tape = env.ok(&["tape", "status", "--tape", "vtl:L"]);
    for want in [
        "VT0003",
        "blank",
        "Protected:  no",
        "block 0",
        "BOT",
        "EOD",
        "512.0 KiB",
    ] {
        assert!(tape.contains(want), "missing {want:?} in\n{tape}");
    }
}

#[test]
fn status_json_is_machine_readable() {
    let env = Env::new();
    env.ok(&["vtl", "create", "L", "--slots", "2", "--capacity", "1MiB"]);
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["vtl", "status", "L", "--json"])).unwrap();
    assert_eq!(json["slots"][1]["cartridge"]["barcode"], "VT0002");
    assert_eq!(json["slots"][1]["cartridge"]["capacity"], 1 << 20);
    assert_eq!(
        json["slots"][1]["cartridge"]["early_warning"],
        64 << 10,
        "default: capacity/64, at least 64 KiB"
    );
}

#[test]
fn bad_input_gets_a_clear_error() {
    let env = Env::new();
    assert!(
        env.fails(&["vtl", "status", "nowhere"])
            .contains("not a virtual tape library")
    );
    assert!(
        env.fails(&["vtl", "create", "L", "--capacity", "8 parsecs"])
            .contains("not a size")
    );
    let err = env.fails(&[
        "vtl",
        "create",
        "L",
        "--capacity",
        "1MiB",
        "--early-warning",
        "2MiB",
    ]);
    assert!(err.contains("early-warning zone must be smaller"), "{err}");
    env.ok(&["vtl", "create", "L", "--slots", "1"]);
    assert!(
        env.fails(&["vtl", "create", "L"])
            .contains("already exists")
    );
    assert!(
        env.fails(&["vtl", "insert", "L", "--drive", "5", "--next-blank"])
            .contains("no drive 5")
    );
    assert!(
        env.fails(&["vtl", "protect", "L", "--barcode", "has space"])
            .contains("invalid barcode")
    );
    assert!(
        env.fails(&["tape", "status", "--tape", "L"])
            .contains("unknown tape device")
    );
    assert!(env.fails(&["tape", "status"]).contains("--tape"));
}

#[test]
fn two_processes_racing_on_one_library_lose_nothing() {
    let env = Env::new();
    env.ok(&[
        "vtl",
        "create",
        "L",
        "--slots",
        "4",
        "--drives",
        "2",
        "--capacity",
        "1MiB",
    ]);
    let rounds = 12;
    thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..rounds {
                env.ok(&["vtl", "insert", "L", "--drive", "0", "--next-blank"]);
                env.ok(&["vtl", "eject", "L", "--drive", "0"]);
            }
        });
        s.spawn(|| {
            for _ in 0..rounds {
                env.ok(&["vtl", "add", "L", "--count", "1"]);
                env.ok(&["vtl", "insert", "L", "--drive", "1", "--next-blank"]);
            }
        });
    });
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["vtl", "status", "L", "--json"])).unwrap();
    let mut barcodes: Vec<String> = ["drives", "slots", "import_export"]
        .iter()
        .flat_map(|k| json[k].as_array().unwrap().iter())
        .filter_map(|e| e["cartridge"]["barcode"].as_str().map(str::to_owned))
        .collect();
    barcodes.sort();
    let expected: Vec<String> = (1..=4 + rounds).map(|n| format!("VT{n:04}")).collect();
    assert_eq!(barcodes, expected, "every cartridge exactly once");
    assert!(json["drives"][0]["cartridge"].is_null());
    assert!(json["drives"][1]["loaded"].as_bool().unwrap());
}

#[test]
fn robot_moves_by_hand() {
    let env = Env::new();
    env.ok(&["vtl", "create", "L", "--slots", "3", "--capacity", "1MiB"]);
    env.ok(&["vtl", "move", "L", "--from", "slot:2", "--to", "drive:0"]);
    assert!(
        env.ok(&["tape", "status", "--tape", "vtl:L#0"])
            .contains("VT0002")
    );
    let err = env.fails(&["vtl", "move", "L", "--from", "drive:0", "--to", "ie:1"]);
    assert!(err.contains("unload it"), "{err}");
    env.ok(&["tape", "unload", "--tape", "vtl:L"]);
    env.ok(&["vtl", "move", "L", "--from", "drive:0", "--to", "ie:1"]);
    assert!(env.ok(&["vtl", "status", "L"]).contains("I/E 1:   VT0002"));
    assert!(
        env.fails(&["vtl", "move", "L", "--from", "slot:9", "--to", "drive:0"])
            .contains("no slot:9")
    );
}
