//! The unattended operator channel: a request answered from a second process.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::Env;
use crate::ntsyntax::{code, one_cartridge_pool, text};

const LINE: &[&str] = &[
    "backup", "@T.bks", "/v:no", "/r:no", "/rs:no", "/hc:on", "/m", "normal", "/j", "Night",
    "/l:s", "/p", "4mm DDS", "/um", "/UP",
];

/// Starts the job in the background; it will wait for a second cartridge.
fn start(env: &Env, extra: &[&str]) -> Child {
    let mut args = LINE.to_vec();
    args.extend_from_slice(extra);
    env.command(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Polls `ntbackup operator list --json` until one request is open; returns it.
fn wait_for_request(env: &Env) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let list: serde_json::Value =
            serde_json::from_str(&env.ok(&["operator", "list", "--json"])).unwrap();
        if let Some(r) = list.as_array().and_then(|a| a.first()) {
            return r.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no request appeared"
        );
        #[allow(clippy::disallowed_methods)] // a test polling another process
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_request_is_answered_by_operator_ack_from_a_second_process() {
    let env = Env::new();
    one_cartridge_pool(&env);
    let child = start(&env, &["--prompt-timeout", "120", "--json"]);
    let request = wait_for_request(&env);
    assert_eq!(request["job"], "Night");
    assert_eq!(request["sequence"], 2);
    assert!(
        request["message"]
            .as_str()
            .unwrap()
            .contains("Please insert")
    );
    assert!(request["until_unix"].as_u64() > request["since_unix"].as_u64());
    let id = request["id"].as_str().unwrap().to_owned();
    let file = env.path().join(format!("home/requests/{id}.json"));
    assert!(file.is_file());
    // The operator loads a cartridge from outside the pool by hand, then says so.
    env.ok(&["vtl", "insert", "L", "--drive", "0", "--barcode", "VT0003"]);
    let acked = Instant::now();
    let said = env.ok(&["operator", "ack", &id]);
    assert!(said.contains("acknowledged"), "{said}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        acked.elapsed() < Duration::from_secs(4),
        "the ack is acted on at once, not at the next 5 s poll: {:?}",
        acked.elapsed()
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["media"][1]["barcode"], "VT0003", "{report}");
    assert!(text(&out).contains("acknowledged by"), "{}", text(&out));
    assert!(!file.exists(), "the request is removed once resolved");
}

#[test]
fn a_request_cancelled_from_a_second_process_stops_the_job_with_code_4() {
    let env = Env::new();
    one_cartridge_pool(&env);
    let child = start(&env, &["--prompt-timeout", "120"]);
    wait_for_request(&env);
    let said = env.ok(&["operator", "cancel", "--reason", "no tapes tonight"]);
    assert!(said.contains("cancelled"), "{said}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 4, "{}", text(&out));
    assert!(text(&out).contains("no tapes tonight"), "{}", text(&out));
    assert!(text(&out).contains("The operation did not successfully complete."));
    assert!(env.ok(&["operator", "list"]).contains("No request"));
    let err = env.fails(&["operator", "ack", "12345-1"]);
    assert!(err.contains("no open request"), "{err}");
}

#[test]
fn the_notify_command_learns_the_request_id() {
    let env = Env::new();
    one_cartridge_pool(&env);
    let out = env.shell(
        "ntbackup backup @T.bks /j n /p '4mm DDS' /um /UP --prompt-timeout 60 \
         --notify 'ntbackup vtl insert L --drive 0 --barcode VT0002 && ntbackup operator ack \"$NTBACKUP_REQUEST\"' \
         </dev/null",
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("acknowledged"), "{}", text(&out));
}
