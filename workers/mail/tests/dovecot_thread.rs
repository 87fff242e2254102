//! Cross-check of our threading against Dovecot's `THREAD REFERENCES UTF-8 ALL`.
//!
//! A throwaway Dovecot (temp config, passwd-file user, mbox folders, plain IMAP on a free loopback
//! port) serves every `fixtures/thread/*.mbox` and a generated corpus of tricky references. Dovecot's
//! answer must equal `<case>.dovecot` when that file exists (a documented difference), else
//! `<case>.expected`; for the generated corpus it must equal ours. Skipped with a notice when the
//! `dovecot` binary is missing, unless `CRM_REQUIRE_DOVECOT=1`.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic with its message is the failure report"
)]

mod corpus;
mod dovecot;

use std::path::Path;

use mail::cli::thread_command;

fn ours(path: &Path) -> String {
    let mut out = Vec::new();
    assert_eq!(thread_command(path, &mut out), 0);
    String::from_utf8(out).unwrap().trim_end().to_string()
}

#[test]
fn threading_agrees_with_dovecot() {
    let Some(bin) = dovecot::binary() else { return };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/thread");
    let mut folders: Vec<(String, Vec<u8>)> = Vec::new();
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "mbox") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let dovecot_file = path.with_extension("dovecot");
            let expected_file = if dovecot_file.exists() {
                dovecot_file
            } else {
                path.with_extension("expected")
            };
            let expected = std::fs::read_to_string(expected_file)
                .unwrap()
                .trim_end()
                .to_string();
            folders.push((name.clone(), std::fs::read(&path).unwrap()));
            cases.push((name, expected));
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    for seed in 1..=4u64 {
        let name = format!("corpus_{seed}");
        let mbox = corpus::generate(seed, 50);
        let path = tmp.path().join(format!("{name}.mbox"));
        std::fs::write(&path, &mbox).unwrap();
        cases.push((name.clone(), ours(&path)));
        folders.push((name, mbox));
    }
    cases.sort();

    let server = dovecot::Server::start(&bin, &folders);
    let mut imap = server.login();
    let mut failures = Vec::new();
    for (name, expected) in &cases {
        let got = imap.thread(name);
        if &got != expected {
            failures.push(format!("{name}:\n  dovecot: {got}\n  expected: {expected}"));
        }
    }
    assert!(
        failures.is_empty(),
        "Dovecot disagrees:\n{}",
        failures.join("\n")
    );
}
