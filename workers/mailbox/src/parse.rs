//! Parsing of raw messages into what the CRM stores, through the `crm-mail` crate. Callers use this
//! module only, so the parser stays behind one small surface.

use chrono::{DateTime, Utc};

/// A mailbox of a From/To/Cc header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAddress {
    /// Lower-cased address.
    pub address: String,
    pub name: Option<String>,
}

/// What the CRM keeps of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEmail {
    /// Message-ID without angle brackets, or a synthetic id derived from the content.
    pub message_id: String,
    pub synthetic_id: bool,
    pub in_reply_to: Option<String>,
    /// References, oldest first, with In-Reply-To appended when missing from it (what threading follows).
    pub references: Vec<String>,
    pub from: Option<MailAddress>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: Option<String>,
    pub date: Option<DateTime<Utc>>,
    /// Text body (HTML converted to text when there is no text part); `None` when skipped.
    pub body_text: Option<String>,
    pub size_bytes: u64,
    /// Larger than the limit: only the headers were read.
    pub oversized: bool,
    /// Not a parseable message: only a synthetic id and the size are known.
    pub malformed: bool,
    /// Bulk or automated mail per its headers (`list`, `precedence:bulk`…): never autofill evidence.
    pub automated: Option<String>,
}

/// Parses a whole raw message. Over `max_bytes`, only its headers are kept and `oversized` is set.
pub fn parse_message(raw: &[u8], max_bytes: u64) -> ParsedEmail {
    let max = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    convert(mail::parse::parse_message(raw, max), raw.len() as u64)
}

/// Parses the header block of a message known to be `size` bytes, too large to fetch whole.
pub fn parse_headers_only(headers: &[u8], size: u64) -> ParsedEmail {
    let mut email = convert(mail::parse::parse_message(headers, usize::MAX), size);
    email.oversized = true;
    email.body_text = None;
    email
}

fn convert(p: mail::parse::ParsedEmail, size: u64) -> ParsedEmail {
    let mut references = p.references;
    references.retain(|r| *r != p.message_id);
    if let Some(parent) = &p.in_reply_to
        && references.last() != Some(parent)
        && *parent != p.message_id
    {
        references.retain(|r| r != parent);
        references.push(parent.clone());
    }
    let malformed = p.malformed.is_some();
    let mut seen_to = Vec::new();
    for a in p.to {
        if !seen_to.contains(&a.address) {
            seen_to.push(a.address);
        }
    }
    let mut seen_cc = Vec::new();
    for a in p.cc {
        if !seen_cc.contains(&a.address) {
            seen_cc.push(a.address);
        }
    }
    ParsedEmail {
        message_id: p.message_id,
        synthetic_id: p.synthetic_id,
        in_reply_to: p.in_reply_to,
        references,
        from: p.from.into_iter().next().map(|m| MailAddress {
            address: m.address,
            name: m.name,
        }),
        to: seen_to,
        cc: seen_cc,
        subject: p.subject,
        date: p.date,
        // An empty text is still a stored body (it is purged by retention like the others).
        body_text: if p.oversized || malformed {
            None
        } else {
            Some(p.text.unwrap_or_default().replace("\r\n", "\n"))
        },
        size_bytes: size,
        oversized: p.oversized,
        malformed,
        automated: p.automated,
    }
}

/// The subject without reply/forward prefixes (Re:, RE :, Fwd:, TR:, Réf., AW:, WG:, list tags), as
/// RFC 5256 base subjects.
pub fn normalise_subject(subject: &str) -> String {
    mail::subject::base_subject(subject).text
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIL: &str = "Message-ID: <a1@x.fr>\r\nIn-Reply-To: <p@x.fr>\r\nReferences: <r@x.fr> <p@x.fr>\r\n\
From: \"Jeanne Martin\" <Jeanne.Martin@Example.FR>\r\nTo: a@b.fr, C@D.fr\r\nCc: e@f.fr\r\n\
Subject: RE : TR: Souscription\r\nDate: Tue, 3 Mar 2026 10:00:00 +0100\r\n\r\nBonjour,\r\nmerci.\r\n";

    #[test]
    fn parses_ids_addresses_and_body() {
        let p = parse_message(MAIL.as_bytes(), 1 << 20);
        assert_eq!(p.message_id, "a1@x.fr");
        assert!(!p.synthetic_id && !p.malformed && !p.oversized);
        assert_eq!(p.in_reply_to.as_deref(), Some("p@x.fr"));
        assert_eq!(p.references, ["r@x.fr", "p@x.fr"]);
        assert_eq!(
            p.from.as_ref().map(|f| f.address.as_str()),
            Some("jeanne.martin@example.fr")
        );
        assert_eq!(p.to, ["a@b.fr", "c@d.fr"]);
        assert_eq!(p.cc, ["e@f.fr"]);
        assert_eq!(
            p.body_text.as_deref().map(str::trim_end),
            Some("Bonjour,\nmerci.")
        );
        assert_eq!(p.date.map(|d| d.timestamp()), Some(1_772_528_400));
        assert_eq!(
            normalise_subject(p.subject.as_deref().unwrap_or("")),
            "Souscription"
        );
    }

    #[test]
    fn in_reply_to_is_appended_and_oversized_keeps_headers_only() {
        let raw = "Message-ID: <c@x>\nIn-Reply-To: <p@x>\nSubject: s\n\nbody\n";
        let p = parse_message(raw.as_bytes(), 1 << 20);
        assert_eq!(p.references, ["p@x"]);
        let big = parse_message(raw.as_bytes(), 10);
        assert!(big.oversized && big.body_text.is_none());
        assert_eq!(big.message_id, "c@x");
    }

    #[test]
    fn synthetic_ids_are_stable() {
        let lf = "From: a@b.fr\nSubject: sans id\n\nbody\n";
        let a = parse_message(lf.as_bytes(), 1 << 20);
        let b = parse_message(lf.as_bytes(), 1 << 20);
        assert!(a.synthetic_id);
        assert_eq!(a.message_id, b.message_id);
    }

    #[test]
    fn garbage_is_malformed() {
        let p = parse_message(b"\x00\x01\x02 not a mail at all", 1 << 20);
        assert!(p.malformed);
        assert!(p.body_text.is_none());
    }
}
