//! Tests of the NTBackup command-line parser.
use super::*;

fn p(line: &str) -> Result<NtCommand, NtCommandError> {
    parse(&line.split(' ').collect::<Vec<_>>())
}

#[test]
fn the_seed_line() {
    let args = [
        "backup",
        "@/tmp/x/Test.bks",
        "/v:no",
        "/r:no",
        "/rs:no",
        "/hc:on",
        "/m",
        "normal",
        "/j",
        "Test",
        "/l:s",
        "/p",
        "4mm DDS",
        "/um",
        "/UP",
    ];
    assert!(is_ntbackup_syntax(&args));
    let c = parse(&args).unwrap();
    assert_eq!(c.bks_files, ["/tmp/x/Test.bks"]);
    assert_eq!(c.verify, Some(false));
    assert_eq!(c.restrict, Some(false));
    assert_eq!(c.remote_storage, Some(false));
    assert_eq!(c.hardware_compression, Some(true));
    assert_eq!(c.backup_type, Some(BackupType::Normal));
    assert_eq!(c.job.as_deref(), Some("Test"));
    assert_eq!(c.log, Some(LogLevel::Summary));
    assert_eq!(c.pool.as_deref(), Some("4mm DDS"));
    assert!(c.unmanaged && c.prompt && !c.append);
}

#[test]
fn detection() {
    assert!(!is_ntbackup_syntax(&["backup", "/home", "--job", "x"]));
    assert!(!is_ntbackup_syntax(&["backup", "TREE", "--tape", "vtl:L"]));
    assert!(!is_ntbackup_syntax(&["restore", "@x"]));
    assert!(!is_ntbackup_syntax(&["backup"]));
    assert!(is_ntbackup_syntax(&["backup", "systemstate"]));
    assert!(is_ntbackup_syntax(&["backup", "/srv", "/j", "x"]));
    assert!(is_ntbackup_syntax(&["Backup", "/srv"]));
    assert!(
        is_ntbackup_syntax(&["backup", "/up"]),
        "refused, not a path"
    );
    assert!(!is_ntbackup_syntax(&["backup", "/t/"]));
    assert!(!is_ntbackup_syntax(&[
        "backup",
        "/srv",
        "--exclude",
        "/a",
        "--job",
        "/j"
    ]));
    assert!(is_ntbackup_syntax(&[
        "backup",
        "/srv",
        "--exclude",
        "/a",
        "/j",
        "x"
    ]));
}

#[test]
fn both_value_forms_and_case() {
    let c = p("backup @a.bks /J:one /D two /F:x.bkf /V yes /L F /M:Incremental").unwrap();
    assert_eq!(c.job.as_deref(), Some("one"));
    assert_eq!(c.description.as_deref(), Some("two"));
    assert_eq!(c.file.as_deref(), Some("x.bkf"));
    assert_eq!(c.verify, Some(true));
    assert_eq!(c.log, Some(LogLevel::Full));
    assert_eq!(c.backup_type, Some(BackupType::Incremental));
    // A value that looks like a switch is still the value of a text switch.
    let c = p("backup /srv /F /backups/x.bkf").unwrap();
    assert_eq!(c.file.as_deref(), Some("/backups/x.bkf"));
    assert_eq!(c.paths, ["/srv"]);
}

#[test]
fn switch_grammar_and_paths() {
    let c = p("backup /home /t/ /./m docs /j x").unwrap();
    assert_eq!(c.paths, ["/home", "/t/", "/./m", "docs"]);
    assert!(matches!(
        p("backup /srv /up"),
        Err(NtCommandError::LowercaseUp(_))
    ));
    assert!(matches!(
        p("backup /srv /Up"),
        Err(NtCommandError::LowercaseUp(_))
    ));
    assert!(matches!(
        p("backup /srv /b"),
        Err(NtCommandError::Nt4 { .. })
    ));
    assert!(matches!(
        p("backup /srv /TAPE:0"),
        Err(NtCommandError::Nt4 { .. })
    ));
    assert!(p("backup /srv /?").unwrap().help);
}

#[test]
fn values_are_checked() {
    assert!(matches!(
        p("backup /srv /V:maybe"),
        Err(NtCommandError::BadValue { .. })
    ));
    assert!(matches!(
        p("backup /srv /V"),
        Err(NtCommandError::MissingValue { .. })
    ));
    assert!(matches!(
        p("backup /srv /V /j x"),
        Err(NtCommandError::MissingValue { .. })
    ));
    assert!(matches!(
        p("backup /srv /M weekly"),
        Err(NtCommandError::BadValue { .. })
    ));
    assert!(matches!(
        p("backup /srv /L:x"),
        Err(NtCommandError::BadValue { .. })
    ));
    assert!(matches!(
        p("backup /srv /HC:yes"),
        Err(NtCommandError::BadValue { .. })
    ));
    assert!(matches!(
        p("backup /srv /J"),
        Err(NtCommandError::MissingValue { .. })
    ));
    assert!(matches!(
        p("backup /srv /UM:x"),
        Err(NtCommandError::UnexpectedValue { .. })
    ));
    assert!(matches!(
        p("backup /srv /j a /J b"),
        Err(NtCommandError::Duplicate(Switch::J))
    ));
    assert!(matches!(p("backup @"), Err(NtCommandError::EmptyBks)));
    assert!(matches!(p("backup /j x"), Err(NtCommandError::NoSelection)));
    assert!(matches!(p("restore /srv"), Err(NtCommandError::NotBackup)));
}

#[test]
fn every_documented_conflict() {
    let conflict = |line: &str, a: Switch, b: Switch| match p(line) {
        Err(NtCommandError::Conflict { a: x, b: y, .. }) => {
            assert_eq!((x, y), (a, b), "{line}");
        }
        other => panic!("{line}: {other:?}"),
    };
    conflict("backup /srv /P pool /A /T t", Switch::P, Switch::A);
    conflict("backup /srv /P pool /G g", Switch::P, Switch::G);
    conflict("backup /srv /P pool /T t", Switch::P, Switch::T);
    conflict("backup /srv /P pool /F x.bkf", Switch::P, Switch::F);
    conflict("backup /srv /F x.bkf /G g", Switch::F, Switch::G);
    conflict("backup /srv /F x.bkf /T t", Switch::F, Switch::T);
    conflict("backup /srv /T t /A /N name", Switch::N, Switch::A);
    assert!(matches!(
        p("backup /srv /A"),
        Err(NtCommandError::Requires {
            switch: Switch::A,
            ..
        })
    ));
    assert!(p("backup /srv /A /T monday").is_ok());
    assert!(p("backup /srv /A /G 1234").is_ok());
    assert!(matches!(
        p("backup systemstate /M incremental"),
        Err(NtCommandError::SystemStateType("incremental"))
    ));
    assert!(matches!(
        p("backup /srv /DS ex1"),
        Err(NtCommandError::Exchange { .. })
    ));
    assert!(matches!(
        p("backup /srv /IS ex1"),
        Err(NtCommandError::Exchange { .. })
    ));
}

#[test]
fn modern_options_pass_through_with_their_values() {
    let c = p("backup @a.bks /j x --prompt-timeout 3 --json --notify=cmd --tape vtl:L").unwrap();
    assert_eq!(
        c.modern,
        [
            "--prompt-timeout",
            "3",
            "--json",
            "--notify=cmd",
            "--tape",
            "vtl:L"
        ]
    );
    assert!(matches!(
        p("backup @a.bks --notify"),
        Err(NtCommandError::ModernMissingValue(_))
    ));
}

#[test]
fn notes_explain_windows_only_switches() {
    let c = p("backup /srv /SNAP:on /RS:yes /R:yes /HC:off").unwrap();
    let notes = c.notes().join("\n");
    for want in ["/SNAP:on", "/RS:yes", "/R:yes", "/HC:off"] {
        assert!(notes.contains(want), "{want}: {notes}");
    }
    assert!(p("backup /srv /SNAP:off").unwrap().notes().is_empty());
}

#[test]
fn random_token_soup_never_panics() {
    let words = [
        "backup",
        "/",
        "/:",
        "/J",
        "/j:",
        "@",
        "@x",
        "/UP",
        "/up",
        "/A",
        "/P",
        "p",
        "/V",
        "yes",
        "--notify",
        "--x=",
        "systemstate",
        "/M",
        "daily",
        "/?",
        "/é",
        "/TAPE",
    ];
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..20_000 {
        let mut args = vec!["backup"];
        for _ in 0..(x % 7) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            args.push(words[usize::try_from(x % words.len() as u64).unwrap()]);
        }
        let _ = is_ntbackup_syntax(&args);
        let _ = parse(&args).map(|c| c.notes());
    }
}
