//! Parsing of raw messages into what the CRM stores. This is the one place that touches the MIME parser
//! (mail-parser 0.11), so it can move to the `crm-mail` crate without changing its callers.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use mail_parser::{Address, HeaderValue, MessageParser};
use regex::Regex;
use sha2::{Digest, Sha256};

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
    /// Message-ID without angle brackets, or a synthetic `<sha256>@synthetic.crm` derived from the content.
    pub message_id: String,
    pub synthetic_id: bool,
    pub in_reply_to: Option<String>,
    /// References, oldest first, with In-Reply-To appended when missing from it.
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
}

/// Parses a whole raw message. Over `max_bytes`, only its headers are kept and `oversized` is set.
pub fn parse_message(raw: &[u8], max_bytes: u64) -> ParsedEmail {
    let size = raw.len() as u64;
    if size > max_bytes {
        return parse_headers_only(header_block(raw), size);
    }
    parse_inner(raw, size, false)
}

/// Parses the headers of a message known to be `size` bytes and too large to fetch.
pub fn parse_headers_only(headers: &[u8], size: u64) -> ParsedEmail {
    parse_inner(headers, size, true)
}

fn header_block(raw: &[u8]) -> &[u8] {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|p| p + 2))
        .unwrap_or(raw.len().min(64 * 1024));
    &raw[..end]
}

fn parse_inner(raw: &[u8], size: u64, headers_only: bool) -> ParsedEmail {
    let parsed = MessageParser::default().parse(raw);
    let Some(msg) = parsed.filter(|m| looks_like_a_message(m.headers())) else {
        return ParsedEmail {
            message_id: synthetic_id(raw),
            synthetic_id: true,
            in_reply_to: None,
            references: Vec::new(),
            from: None,
            to: Vec::new(),
            cc: Vec::new(),
            subject: None,
            date: None,
            body_text: None,
            size_bytes: size,
            oversized: headers_only,
            malformed: true,
        };
    };
    let (message_id, synthetic) = match msg.message_id().map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => (clean_id(id), false),
        None => (synthetic_id(raw), true),
    };
    let in_reply_to = ids(msg.in_reply_to()).into_iter().next_back();
    let mut references = ids(msg.references());
    references.retain(|r| *r != message_id);
    if let Some(parent) = &in_reply_to
        && references.last() != Some(parent)
        && *parent != message_id
    {
        references.retain(|r| r != parent);
        references.push(parent.clone());
    }
    let from = msg.from().and_then(|a| a.first()).and_then(|a| {
        Some(MailAddress {
            address: a.address()?.trim().to_lowercase(),
            name: a
                .name()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
        })
    });
    let body_text = if headers_only {
        None
    } else {
        Some(
            msg.body_text(0)
                .map(|b| b.replace("\r\n", "\n"))
                .unwrap_or_default(),
        )
    };
    ParsedEmail {
        message_id,
        synthetic_id: synthetic,
        in_reply_to,
        references,
        from,
        to: addresses(msg.to()),
        cc: addresses(msg.cc()),
        subject: msg.subject().map(|s| s.trim().to_owned()),
        date: msg
            .date()
            .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0)),
        body_text,
        size_bytes: size,
        oversized: headers_only,
        malformed: false,
    }
}

/// A message has at least one of the headers every mail carries.
fn looks_like_a_message(headers: &[mail_parser::Header<'_>]) -> bool {
    headers.iter().any(|h| {
        matches!(
            h.name().to_ascii_lowercase().as_str(),
            "from" | "date" | "message-id" | "subject" | "to" | "received"
        )
    })
}

fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<String> = match value {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    for id in raw.iter().map(|s| clean_id(s)).filter(|s| !s.is_empty()) {
        // A repeated id keeps its last place (JWZ: later positions are closer to the parent).
        out.retain(|o| *o != id);
        out.push(id);
    }
    out
}

fn addresses(addr: Option<&Address<'_>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(addr) = addr {
        for a in addr.iter() {
            if let Some(address) = a.address() {
                let address = address.trim().to_lowercase();
                if !address.is_empty() && !out.contains(&address) {
                    out.push(address);
                }
            }
        }
    }
    out
}

/// A stable id for a message without Message-ID: a hash of its bytes with line endings normalised, so
/// the same message fetched twice (or over IMAP and from a file) gets the same id.
pub fn synthetic_id(raw: &[u8]) -> String {
    let mut hasher = Sha256::new();
    for chunk in raw.split(|b| *b == b'\r') {
        hasher.update(chunk);
    }
    let digest = hasher.finalize();
    format!("{}@synthetic.crm", hex::encode(&digest[..16]))
}

static PREFIX: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?:\[[^\]]*\]\s*|(?:re|fwd?|tr|réf|ref|aw|wg|sv|antw|rif|r)\s*(?:\[\d+\]|\(\d+\))?\s*(?:\.\s*:?|:)\s*)",
    )
    .ok()
});

/// The subject without reply/forward prefixes (English, French, German...: `Re:`, `RE :`, `Fwd:`,
/// `TR:`, `Réf.`, `AW:`, `WG:`), list tags (`[crm-dev]`) and a trailing `(fwd)`, whitespace collapsed.
pub fn normalise_subject(subject: &str) -> String {
    let mut s = subject.trim().to_owned();
    if let Some(re) = PREFIX.as_ref() {
        loop {
            let Some(m) = re.find(&s) else { break };
            if m.end() == 0 || m.end() >= s.len() {
                break;
            }
            s = s[m.end()..].to_owned();
        }
    }
    let mut s = s.trim().to_owned();
    if s.to_lowercase().ends_with("(fwd)") {
        s.truncate(s.len() - 5);
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
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
        assert_eq!(p.body_text.as_deref(), Some("Bonjour,\nmerci.\n"));
        assert_eq!(p.date.map(|d| d.timestamp()), Some(1_772_528_400));
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
    fn synthetic_ids_are_stable_across_line_endings() {
        let lf = "From: a@b.fr\nSubject: sans id\n\nbody\n";
        let crlf = lf.replace('\n', "\r\n");
        let a = parse_message(lf.as_bytes(), 1 << 20);
        let b = parse_message(crlf.as_bytes(), 1 << 20);
        assert!(a.synthetic_id);
        assert_eq!(a.message_id, b.message_id);
    }

    #[test]
    fn garbage_is_malformed() {
        let p = parse_message(b"\x00\x01\x02 not a mail at all", 1 << 20);
        assert!(p.malformed);
        assert!(p.message_id.ends_with("@synthetic.crm"));
    }

    #[test]
    fn subjects_are_normalised() {
        for (raw, want) in [
            ("Re: Fwd: Point mensuel", "Point mensuel"),
            ("RE : TR: Souscription", "Souscription"),
            ("Réf. : Mandat", "Mandat"),
            ("AW: WG: Termin", "Termin"),
            ("[crm-dev] Re: build", "build"),
            ("Re[2]: relance", "relance"),
            ("Note (fwd)", "Note"),
            ("Re:", "Re:"),
            ("Reporting  mensuel", "Reporting mensuel"),
        ] {
            assert_eq!(normalise_subject(raw), want, "{raw}");
        }
    }
}
