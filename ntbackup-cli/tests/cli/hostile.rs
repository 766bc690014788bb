//! The hostile suite (`tape_format::hostile`) through the binary: `ntbackup list` and
//! `ntbackup restore` on every crafted medium end with an exit code and a message, never a
//! panic; every refused entry is named on the terminal; nothing outside the target changes.
//! (What is restored exactly is checked in the engine's `tests/hostile`.)

use std::collections::BTreeMap;
use std::path::Path;

use tape_format::hostile::suite;

use crate::Env;
use crate::ntsyntax::{code, text};

/// Every file under `dir` with its contents (links as their target), not following links.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let key = p.strip_prefix(dir).unwrap().display().to_string();
            if m.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.insert(key, t.as_os_str().as_encoded_bytes().to_vec());
            } else if m.is_dir() {
                todo.push(p);
                out.insert(key, b"<dir>".to_vec());
            } else {
                out.insert(key, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn every_hostile_medium_lists_and_restores_with_a_message_and_no_panic() {
    let env = Env::new();
    let canary = env.path().join("canary");
    std::fs::create_dir_all(&canary).unwrap();
    std::fs::write(canary.join("secret"), b"canary").unwrap();
    let outside = canary.display().to_string();
    let before = snapshot(&canary);
    for case in suite(&outside) {
        let mut tapes = Vec::new();
        for (i, m) in case.media.iter().enumerate() {
            let p = env.path().join(format!("{}.{i}.bkf", case.name));
            std::fs::write(&p, m).unwrap();
            tapes.push("--tape".to_owned());
            tapes.push(format!("file:{}", p.display()));
        }
        let tapes: Vec<&str> = tapes.iter().map(String::as_str).collect();
        let mut list = vec!["list"];
        list.extend(&tapes);
        let out = env.run(&list);
        let all = text(&out);
        assert!(
            matches!(code(&out), 0 | 3) && !all.contains("panicked"),
            "list {}: exit {}\n{all}",
            case.name,
            code(&out)
        );
        let to = env.path().join(format!("out-{}", case.name));
        let to_arg = to.display().to_string();
        let mut restore = vec!["restore", "--to", &to_arg];
        restore.extend(&tapes);
        let out = env.run(&restore);
        let all = text(&out);
        let clean = case.expect.refused.is_empty()
            && case.expect.damaged.is_empty()
            && !case.expect.incomplete;
        assert_eq!(
            code(&out),
            if clean { 0 } else { 3 },
            "restore {}:\n{all}",
            case.name
        );
        assert!(!all.contains("panicked"), "{}: {all}", case.name);
        if !clean {
            assert!(
                all.contains("The operation did not successfully complete."),
                "{}: {all}",
                case.name
            );
        }
        for (token, why) in &case.expect.refused {
            assert!(
                all.lines().any(|l| l.contains("Not restored: ")
                    && l.contains(token.as_str())
                    && l.contains(why)),
                "{}: {token} ({why}) is not named on the terminal:\n{all}",
                case.name
            );
        }
        for word in &case.expect.damaged {
            assert!(
                all.lines()
                    .any(|l| l.contains("Damaged on the media: ") && l.contains(word)),
                "{}: damage ({word}) is not named on the terminal:\n{all}",
                case.name
            );
        }
        if case.expect.incomplete {
            assert!(
                all.contains("The set is incomplete"),
                "{}: {all}",
                case.name
            );
        }
    }
    assert_eq!(snapshot(&canary), before, "the canary changed");
    // Only the targets, the media, the canary and the home were made next to each other.
    let stray: Vec<String> = std::fs::read_dir(env.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|k| !k.starts_with("out-") && !k.ends_with(".bkf") && k != "canary" && k != "home")
        .collect();
    assert!(stray.is_empty(), "written outside the targets: {stray:?}");
}
