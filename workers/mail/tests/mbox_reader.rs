//! mbox splitting (mboxrd/mboxo, LF and CRLF) and Maildir listing.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::io::Cursor;

use mail::maildir;
use mail::mbox::{MboxMessage, MboxReader};

const MBOX: &str = "From alice@example.fr Mon Mar  3 09:00:00 2025\n\
Subject: one\n\
\n\
Hello\n\
>From the start\n\
>>From quoted twice\n\
> From is not escaped\n\
From here, with no blank line before and no date\n\
\n\
From bob@example.fr Mon Mar  3 10:00:00 2025 +0100\n\
Subject: two\n\
\n\
Body two\n\
\n\
\n\
From carol@example.fr Tue Mar  4 11:00:00 2025\n\
Subject: three\n\
\n\
last line without newline";

fn read(bytes: &[u8]) -> Vec<MboxMessage> {
    MboxReader::new(Cursor::new(bytes.to_vec()))
        .map(Result::unwrap)
        .collect()
}

fn check(msgs: &[MboxMessage], nl: &str) {
    assert_eq!(msgs.len(), 3);
    let text = |m: &MboxMessage| String::from_utf8(m.raw.clone()).unwrap();
    assert_eq!(
        text(&msgs[0]),
        [
            "Subject: one",
            "",
            "Hello",
            "From the start",
            ">From quoted twice",
            "> From is not escaped",
            "From here, with no blank line before and no date",
            ""
        ]
        .join(nl)
    );
    // The blank line before the next separator belongs to the mbox; a second one is the message's.
    assert_eq!(
        text(&msgs[1]),
        ["Subject: two", "", "Body two", "", ""].join(nl)
    );
    assert_eq!(
        text(&msgs[2]),
        ["Subject: three", "", "last line without newline"].join(nl)
    );
    assert_eq!(
        msgs[0].from_line_date.unwrap().to_rfc3339(),
        "2025-03-03T09:00:00+00:00"
    );
    assert_eq!(
        msgs[1].from_line_date.unwrap().to_rfc3339(),
        "2025-03-03T09:00:00+00:00"
    );
    assert_eq!(msgs[0].offset, 0);
    for m in msgs {
        assert_eq!(m.size, m.raw.len() as u64);
        assert!(!m.truncated);
    }
}

#[test]
fn splits_and_unescapes_lf() {
    let msgs = read(MBOX.as_bytes());
    check(&msgs, "\n");
    let second = MBOX.find("From bob").unwrap() as u64;
    assert_eq!(msgs[1].offset, second);
}

#[test]
fn splits_and_unescapes_crlf() {
    check(&read(MBOX.replace('\n', "\r\n").as_bytes()), "\r\n");
}

#[test]
fn separator_without_blank_line_is_accepted_when_dated() {
    let mbox = "From a Mon Mar  3 09:00:00 2025\nSubject: a\n\nbody\nFrom b Mon Mar  3 10:00:00 2025\nSubject: b\n\nbody\n";
    let msgs = read(mbox.as_bytes());
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].raw, b"Subject: a\n\nbody\n");
}

#[test]
fn leading_text_without_separator_is_a_message_and_blank_files_are_empty() {
    let msgs = read(b"Subject: stray\n\nno From_ line\n");
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].from_line_date, None);
    assert!(read(b"").is_empty());
    assert!(read(b"\n\r\n\n").is_empty());
}

#[test]
fn cap_truncates_but_counts_and_long_lines_stream() {
    let long_line = "y".repeat(300_000);
    let mbox = format!(
        "From a Mon Mar  3 09:00:00 2025\nSubject: big\n\n{long_line}\n\nFrom b Mon Mar  3 10:00:00 2025\nSubject: small\n\nok\n"
    );
    let msgs: Vec<_> = MboxReader::new(Cursor::new(mbox.into_bytes()))
        .with_max_message_bytes(1000)
        .map(Result::unwrap)
        .collect();
    assert_eq!(msgs.len(), 2);
    assert!(msgs[0].truncated);
    assert_eq!(msgs[0].raw.len(), 1000);
    assert_eq!(
        msgs[0].size,
        ("Subject: big\n\n".len() + long_line.len() + 1) as u64
    );
    assert!(msgs[0].raw.starts_with(b"Subject: big\n"));
    assert_eq!(msgs[1].raw, b"Subject: small\n\nok\n");
}

#[test]
fn a_long_from_line_is_skipped_whole() {
    let mbox = format!(
        "From a Mon Mar  3 09:00:00 2025 {}\nSubject: x\n\nbody\n",
        "z".repeat(200_000)
    );
    let msgs = read(mbox.as_bytes());
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].raw, b"Subject: x\n\nbody\n");
}

#[test]
fn maildir_lists_cur_and_new_in_delivery_order() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    std::fs::write(
        dir.path().join("cur/1700000200.M1P1.host:2,RS"),
        "Subject: b\n\nb\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("new/1700000100.M2P2.host"),
        "Subject: a\n\na\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tmp/1700000000.M3P3.host"),
        "Subject: partial\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("cur/.hidden"), "x").unwrap();
    let msgs: Vec<_> = maildir::open(dir.path())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].raw, b"Subject: a\n\na\n");
    assert!(msgs[0].new);
    assert_eq!(msgs[0].flags, "");
    assert_eq!(msgs[0].received.unwrap().timestamp(), 1_700_000_100);
    assert_eq!(msgs[1].flags, "RS");
    assert!(!msgs[1].new);
    assert_eq!(msgs[1].size, 14);

    let capped: Vec<_> = maildir::open(dir.path())
        .unwrap()
        .with_max_message_bytes(4)
        .map(Result::unwrap)
        .collect();
    assert!(capped.iter().all(|m| m.truncated && m.raw.len() == 4));
    assert!(maildir::open(&dir.path().join("cur")).is_err());
}
