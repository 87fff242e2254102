//! Stable synthetic Message-IDs for messages that have none, so that dedupe on
//! (account, Message-ID) still inserts such a message once.
//!
//! The id is `sha256hex@synthetic.crm` over a normalised form of the message: only headers that belong
//! to the message itself (transport headers such as Received, Return-Path, Delivered-To, Status or
//! X-* are added by servers and mbox writers and would make the same message hash differently), header
//! values unfolded with runs of whitespace collapsed, and the body with LF line endings, trailing
//! whitespace per line and trailing blank lines removed. So the same message read over IMAP, from
//! an mbox or from a Maildir, with LF or CRLF, gets the same id.

use sha2::{Digest, Sha256};

/// Domain of synthetic ids; never a real mail domain.
pub const SYNTHETIC_DOMAIN: &str = "synthetic.crm";

/// Headers hashed, in this order (every occurrence of each, in message order).
const IDENTITY_HEADERS: &[&str] = &[
    "from",
    "sender",
    "to",
    "cc",
    "subject",
    "date",
    "in-reply-to",
    "references",
];

/// The synthetic id (without angle brackets) of a raw message.
pub fn synthetic_id(raw: &[u8]) -> String {
    let (head, body) = split_head_body(raw);
    let fields = header_fields(head);
    let mut hasher = Sha256::new();
    hasher.update(b"crm-mail synthetic id v1\n");
    for wanted in IDENTITY_HEADERS {
        for (name, value) in fields
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(wanted.as_bytes()))
        {
            hasher.update(name.to_ascii_lowercase());
            hasher.update(b":");
            hasher.update(collapse_whitespace(value));
            hasher.update(b"\n");
        }
    }
    hasher.update(b"\n");
    hasher.update(normalise_body(body));
    format!("{}@{SYNTHETIC_DOMAIN}", hex::encode(hasher.finalize()))
}

/// Whether an id was made by [`synthetic_id`].
pub fn is_synthetic(id: &str) -> bool {
    id.strip_suffix(SYNTHETIC_DOMAIN)
        .is_some_and(|l| l.len() == 65 && l.ends_with('@'))
}

/// Header block and body, split at the first empty line (LF or CRLF).
pub(crate) fn split_head_body(raw: &[u8]) -> (&[u8], &[u8]) {
    let mut line_start = 0;
    while line_start < raw.len() {
        let end = raw[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |p| line_start + p + 1);
        let line = &raw[line_start..end];
        if line == b"\n" || line == b"\r\n" {
            return (&raw[..line_start], &raw[end..]);
        }
        line_start = end;
    }
    (raw, &[])
}

/// Whether the message starts with at least one RFC 5322 header field (`name:`, name of printable
/// ASCII without colon).
pub(crate) fn has_header_field(raw: &[u8]) -> bool {
    let (head, _) = split_head_body(raw);
    header_fields(head)
        .iter()
        .any(|(name, _)| name.iter().all(|b| (33..=126).contains(b)))
}

/// (name, unfolded value) of each header field; lines that are not fields are ignored.
fn header_fields(head: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut fields: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for line in head.split(|&b| b == b'\n') {
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            if let Some((_, value)) = fields.last_mut() {
                value.push(b' ');
                value.extend_from_slice(line);
            }
            continue;
        }
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            let name = line[..colon].trim_ascii();
            if !name.is_empty() {
                fields.push((name.to_vec(), line[colon + 1..].to_vec()));
            }
        }
    }
    fields
}

fn collapse_whitespace(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    for word in value
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(word);
    }
    out
}

fn normalise_body(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    for line in body.split(|&b| b == b'\n') {
        out.extend_from_slice(line.trim_ascii_end());
        out.push(b'\n');
    }
    while out.last() == Some(&b'\n') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_message_lf_crlf_and_transport_headers_agree() {
        let lf = b"From: a@b.fr\nSubject: Hello\n  world\n\nBody line  \n\n\n";
        let crlf = b"Received: from x\r\nFrom: a@b.fr\r\nStatus: RO\r\nSubject: Hello world\r\n\r\nBody line\r\n";
        assert_eq!(synthetic_id(lf), synthetic_id(crlf));
        assert!(is_synthetic(&synthetic_id(lf)));
    }

    #[test]
    fn different_body_differs() {
        assert_ne!(
            synthetic_id(b"From: a@b.fr\n\nOne\n"),
            synthetic_id(b"From: a@b.fr\n\nTwo\n")
        );
    }

    #[test]
    fn splits_at_first_blank_line() {
        assert_eq!(
            split_head_body(b"A: 1\r\n\r\nbody\n\nmore"),
            (&b"A: 1\r\n"[..], &b"body\n\nmore"[..])
        );
        assert_eq!(split_head_body(b"A: 1"), (&b"A: 1"[..], &b""[..]));
    }
}
