//! Golden RFC 5256 cases: `fixtures/thread/<case>.mbox` threaded by `workers thread` must print
//! `<case>.expected`, with LF and with CRLF line endings.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::path::{Path, PathBuf};

use mail::cli::thread_command;

fn cases() -> Vec<(String, PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/thread");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mbox"))
        .map(|p| {
            let expected = std::fs::read_to_string(p.with_extension("expected")).unwrap();
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                p,
                expected,
            )
        })
        .collect();
    out.sort();
    assert!(out.len() >= 8, "fixtures missing");
    out
}

fn run(path: &Path) -> String {
    let mut out = Vec::new();
    assert_eq!(thread_command(path, &mut out), 0);
    String::from_utf8(out).unwrap()
}

#[test]
fn fixtures_thread_as_expected_lf() {
    for (name, path, expected) in cases() {
        assert_eq!(run(&path), expected, "case {name}");
    }
}

#[test]
fn fixtures_thread_as_expected_crlf() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, path, expected) in cases() {
        let crlf = std::fs::read_to_string(&path)
            .unwrap()
            .replace('\n', "\r\n");
        let copy = tmp.path().join(format!("{name}.mbox"));
        std::fs::write(&copy, crlf).unwrap();
        assert_eq!(run(&copy), expected, "case {name} (CRLF)");
    }
}

#[test]
fn empty_mbox_prints_an_empty_list_and_missing_file_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty.mbox");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(run(&empty), "\n");
    let mut out = Vec::new();
    assert_eq!(thread_command(&tmp.path().join("absent.mbox"), &mut out), 1);
    assert!(out.is_empty());
}
