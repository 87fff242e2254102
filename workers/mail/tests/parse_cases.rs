//! Parse behaviour beyond the golden files: synthetic ids, oversized and malformed messages.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use mail::parse::{DEFAULT_MAX_BYTES, is_synthetic};
use mail::parse_message;

const NO_ID: &[u8] = b"From: a@example.fr\nTo: b@example.fr\nSubject: Relance\nDate: Mon, 03 Mar 2025 09:00:00 +0100\n\nBonjour.\n";

#[test]
fn missing_message_id_gives_the_same_synthetic_id_for_the_same_bytes() {
    let first = parse_message(NO_ID, DEFAULT_MAX_BYTES);
    // A separate copy of the same bytes.
    let copy = NO_ID.to_vec();
    let again = parse_message(&copy, DEFAULT_MAX_BYTES);
    assert!(first.synthetic_id && is_synthetic(&first.message_id));
    assert_eq!(first.message_id, again.message_id);
    assert!(first.message_id.ends_with("@synthetic.crm"));
}

#[test]
fn synthetic_id_differs_for_different_bytes() {
    let other = String::from_utf8(NO_ID.to_vec())
        .unwrap()
        .replace("Bonjour.", "Bonsoir.");
    assert_ne!(
        parse_message(NO_ID, DEFAULT_MAX_BYTES).message_id,
        parse_message(other.as_bytes(), DEFAULT_MAX_BYTES).message_id
    );
    let other_subject = String::from_utf8(NO_ID.to_vec())
        .unwrap()
        .replace("Relance", "Relance 2");
    assert_ne!(
        parse_message(NO_ID, DEFAULT_MAX_BYTES).message_id,
        parse_message(other_subject.as_bytes(), DEFAULT_MAX_BYTES).message_id
    );
}

#[test]
fn synthetic_id_ignores_transport_headers_and_line_endings() {
    let relayed = format!(
        "Return-Path: <a@example.fr>\r\nReceived: by mx.example.fr\r\nX-UID: 7\r\nStatus: RO\r\n{}",
        String::from_utf8(NO_ID.to_vec())
            .unwrap()
            .replace('\n', "\r\n")
    );
    assert_eq!(
        parse_message(NO_ID, DEFAULT_MAX_BYTES).message_id,
        parse_message(relayed.as_bytes(), DEFAULT_MAX_BYTES).message_id
    );
}

#[test]
fn thread_input_drops_synthetic_ids_and_uses_the_fallback_date() {
    let parsed = parse_message(
        b"From: a@example.fr\nSubject: x\n\nbody\n",
        DEFAULT_MAX_BYTES,
    );
    let fallback = chrono::DateTime::from_timestamp(1_700_000_000, 0);
    let input = parsed.thread_input(3, fallback);
    assert_eq!(input.message_id, None);
    assert_eq!(input.sent_date, fallback);
    assert_eq!(input.id, 3);
}

#[test]
fn oversized_keeps_headers_only() {
    let mut raw = b"From: Big <big@example.fr>\nMessage-ID: <big@example.fr>\nSubject: Pieces jointes\nDate: Mon, 03 Mar 2025 09:00:00 +0100\n\n".to_vec();
    raw.extend(std::iter::repeat_n(b'x', 10_000));
    let parsed = parse_message(&raw, 1_000);
    assert!(parsed.oversized);
    assert_eq!(parsed.text, None);
    assert_eq!(parsed.size, raw.len());
    assert_eq!(parsed.message_id, "big@example.fr");
    assert_eq!(parsed.subject.as_deref(), Some("Pieces jointes"));
    assert_eq!(parsed.from[0].address, "big@example.fr");
    assert!(parsed.date.is_some());
    assert_eq!(parsed.malformed, None);
    // Exactly at the limit is not oversized.
    assert!(!parse_message(&raw, raw.len()).oversized);
}

#[test]
fn malformed_inputs_still_return_what_can_be_read() {
    for raw in [
        &b""[..],
        b"\n\n\n",
        b"\x00\x01\x02\xff",
        b"just some words without any header",
    ] {
        let parsed = parse_message(raw, DEFAULT_MAX_BYTES);
        assert!(parsed.malformed.is_some(), "{raw:?}");
        assert!(parsed.synthetic_id);
        assert_eq!(parsed.size, raw.len());
    }
}

#[test]
fn headers_without_body_parse() {
    let parsed = parse_message(
        b"Message-ID: <only@headers.fr>\nSubject: Vide",
        DEFAULT_MAX_BYTES,
    );
    assert_eq!(parsed.malformed, None);
    assert_eq!(parsed.message_id, "only@headers.fr");
    assert_eq!(parsed.text, None);
}

#[test]
fn first_occurrence_of_threading_headers_counts() {
    let raw =
        b"Message-ID: <one@x.fr>\nMessage-ID: <two@x.fr>\nSubject: Premier\nSubject: Second\n\nb\n";
    let parsed = parse_message(raw, DEFAULT_MAX_BYTES);
    assert_eq!(parsed.message_id, "one@x.fr");
    assert_eq!(parsed.subject.as_deref(), Some("Premier"));
}

#[test]
fn repeated_references_keep_the_last_one_as_parent() {
    let raw =
        b"Message-ID: <e@x.fr>\nReferences: <c@x.fr> <d@x.fr> <c@X.FR> <junk>\nSubject: s\n\nb\n";
    let parsed = parse_message(raw, DEFAULT_MAX_BYTES);
    assert_eq!(parsed.references, ["c@x.fr", "d@x.fr"]);
    assert_eq!(parsed.parent_id.as_deref(), Some("c@x.fr"));
    assert_eq!(parsed.thread_references(), ["c@x.fr", "d@x.fr", "c@x.fr"]);
    let irt_only = parse_message(b"In-Reply-To: <p@x.fr>\n\nb\n", DEFAULT_MAX_BYTES);
    assert_eq!(irt_only.parent_id.as_deref(), Some("p@x.fr"));
    assert!(irt_only.thread_references().is_empty());
}
