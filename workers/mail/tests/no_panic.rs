//! Properties over arbitrary input: `parse_message`, the mbox reader and threading never panic;
//! threading returns every message exactly once and its IMAP form is balanced.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::io::Cursor;

use mail::mbox::MboxReader;
use mail::parse_message;
use mail::thread::{ThreadInput, format_imap, thread};
use proptest::prelude::*;

/// Bytes biased towards mail syntax, so the parser's deeper paths are reached.
fn mailish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"From a@b Mon Mar  3 09:00:00 2025\n".to_vec()),
        Just(b">From ".to_vec()),
        Just(b"Message-ID: <x@y>\n".to_vec()),
        Just(b"References: <a@b> <x@y>\n".to_vec()),
        Just(b"Subject: =?utf-8?q?R=C3=A9f.?= : TR: [x] Re[2]: s (fwd)\n".to_vec()),
        Just(b"Content-Type: multipart/mixed; boundary=\"b\"\n".to_vec()),
        Just(b"--b\n".to_vec()),
        Just(b"Content-Type: text/html\n\n<p>a<b>b</p>".to_vec()),
        Just(b"Content-Transfer-Encoding: base64\n".to_vec()),
        Just(b"Date: Mon, 03 Mar 2025 09:00:00 +0100\n".to_vec()),
        Just(b"From: \"A\" <a@b>, =?x?b?***?= <@>\n".to_vec()),
        prop::collection::vec(any::<u8>(), 0..40),
    ];
    prop::collection::vec(piece, 0..30).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(raw in prop::collection::vec(any::<u8>(), 0..2048), max in 0usize..4096) {
        let parsed = parse_message(&raw, max);
        prop_assert_eq!(parsed.size, raw.len());
        prop_assert_eq!(parsed.oversized, raw.len() > max);
        prop_assert!(!parsed.message_id.is_empty());
    }

    #[test]
    fn parse_never_panics_on_mail_like_bytes(raw in mailish(), max in 0usize..4096) {
        let parsed = parse_message(&raw, max);
        prop_assert_eq!(parsed.message_id.clone(), parse_message(&raw, max).message_id);
        if parsed.oversized {
            prop_assert!(parsed.text.is_none());
        }
    }

    #[test]
    fn mbox_reader_never_panics(raw in mailish(), cap in 1usize..512) {
        let mut total = 0u64;
        for msg in MboxReader::new(Cursor::new(raw.clone())).with_max_message_bytes(cap) {
            let msg = msg.unwrap();
            prop_assert!(msg.raw.len() <= cap);
            prop_assert_eq!(msg.truncated, msg.size > msg.raw.len() as u64);
            total += msg.size;
        }
        prop_assert!(total <= raw.len() as u64);
    }

    #[test]
    fn mbox_reader_never_panics_on_arbitrary_bytes(raw in prop::collection::vec(any::<u8>(), 0..4096)) {
        for msg in MboxReader::new(Cursor::new(raw)) {
            msg.unwrap();
        }
    }

    #[test]
    fn threading_returns_each_message_once(specs in prop::collection::vec(
        (prop::option::of(0u8..12), prop::collection::vec(0u8..12, 0..5), prop::option::of(0u8..12), 0u8..4, prop::option::of(0i64..5)),
        0..40,
    )) {
        let subjects = ["Devis", "Re: Devis", "TR : devis", "Autre"];
        let inputs: Vec<ThreadInput> = specs.iter().enumerate().map(|(i, (mid, refs, irt, subj, date))| ThreadInput {
            id: u32::try_from(i + 1).unwrap(),
            message_id: mid.map(|m| format!("{m}@x")),
            references: refs.iter().map(|r| format!("{r}@x")).collect(),
            in_reply_to: irt.map(|r| format!("{r}@x")),
            subject: subjects[usize::from(*subj)].to_string(),
            sent_date: date.and_then(|d| chrono::DateTime::from_timestamp(d * 3600, 0)),
        }).collect();
        let threads = thread(&inputs);
        let mut ids: Vec<u32> = threads.iter().flat_map(|t| t.ids()).collect();
        ids.sort();
        let expected: Vec<u32> = inputs.iter().map(|i| i.id).collect();
        prop_assert_eq!(ids, expected);
        let imap = format_imap(&threads);
        let depth = imap.chars().try_fold(0i32, |d, c| {
            let d = d + i32::from(c == '(') - i32::from(c == ')');
            (d >= 0).then_some(d)
        });
        prop_assert_eq!(depth, Some(0));
        prop_assert!(!imap.contains("()"));
        // Same input, same answer.
        prop_assert_eq!(format_imap(&thread(&inputs)), imap);
    }
}
