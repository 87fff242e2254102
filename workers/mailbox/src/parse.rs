//! Parsing of raw messages into what the CRM stores, through the `crm-mail` crate. Callers use this
//! module only, so the parser stays behind one small surface.

use chrono::{DateTime, Utc};
use crm_campaigns::bounce::dsn::{self, Complaint, Dsn};

/// Bytes of a message searched for its top-level Content-Type before any report parsing.
const MAX_HEADER_SCAN: usize = 64 * 1024;

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
    /// A delivery-status notification or a complaint (`multipart/report`), read for campaign feedback.
    pub report: Option<MailReport>,
}

/// A machine-written report about a message sent earlier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailReport {
    /// A bounce or a delay (RFC 3464).
    Dsn(Dsn),
    /// A feedback-loop complaint (ARF, RFC 5965).
    Complaint(Complaint),
}

/// Parses a whole raw message. Over `max_bytes`, only its headers are kept and `oversized` is set.
pub fn parse_message(raw: &[u8], max_bytes: u64) -> ParsedEmail {
    let max = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    let mut email = convert(mail::parse::parse_message(raw, max), raw.len() as u64);
    if !email.malformed {
        // Even over `max_bytes`: the report parser reads a bounded prefix, where the report parts are.
        email.report = report(raw);
    }
    email
}

/// The report a message is, read only when its top-level Content-Type is `multipart/report`, so ordinary
/// mail is not parsed twice.
fn report(raw: &[u8]) -> Option<MailReport> {
    let content_type = top_content_type(raw)?.to_ascii_lowercase();
    if !content_type.starts_with("multipart/report") {
        return None;
    }
    // The report-type parameter says which of the two to read (the parsers check it again).
    if content_type.contains("feedback-report") {
        dsn::parse_complaint(raw).map(MailReport::Complaint)
    } else {
        dsn::parse(raw).map(MailReport::Dsn)
    }
}

/// The value of the first Content-Type field of the header block, unfolded; `None` without one.
fn top_content_type(raw: &[u8]) -> Option<String> {
    const NAME: &[u8] = b"content-type:";
    let head = &raw[..raw.len().min(MAX_HEADER_SCAN)];
    let mut value: Option<String> = None;
    for line in head.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let folded = matches!(line.first(), Some(b' ' | b'\t'));
        match &mut value {
            Some(v) if folded => {
                v.push(' ');
                v.push_str(String::from_utf8_lossy(line).trim());
            }
            Some(_) => break,
            None if !folded
                && line.len() >= NAME.len()
                && line[..NAME.len()].eq_ignore_ascii_case(NAME) =>
            {
                value = Some(
                    String::from_utf8_lossy(&line[NAME.len()..])
                        .trim()
                        .to_owned(),
                );
            }
            None => {}
        }
    }
    value
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
        report: None,
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
    fn reports_are_read_and_ordinary_mail_is_not() {
        let dsn = "Message-ID: <r1@mta.fr>\r\nFrom: MAILER-DAEMON@mta.fr\r\nSubject: Undelivered\r\n\
Content-Type: multipart/report;\r\n\treport-type=delivery-status; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n\
--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mta.fr\r\n\r\n\
Final-Recipient: rfc822; Gone@Example.NET\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <send-1@crm.fr>\r\n\r\n--b--\r\n";
        for raw in [dsn.to_owned(), dsn.replace("\r\n", "\n")] {
            let p = parse_message(raw.as_bytes(), 1 << 20);
            let Some(MailReport::Dsn(d)) = p.report else {
                panic!("not read as a DSN: {:?}", p.report);
            };
            assert_eq!(d.original_message_id.as_deref(), Some("send-1@crm.fr"));
            assert_eq!(d.recipients.len(), 1);
            assert_eq!(d.recipients[0].address, "gone@example.net");
            // Over the size limit the report is still read (its parser bounds itself).
            assert!(parse_message(raw.as_bytes(), 10).report.is_some());
        }
        let arf = dsn.replace("delivery-status;", "feedback-report;").replace(
            "message/delivery-status\r\n\r\nReporting-MTA: dns; mta.fr\r\n\r\n",
            "message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n\r\n",
        );
        let p = parse_message(arf.as_bytes(), 1 << 20);
        let Some(MailReport::Complaint(c)) = p.report else {
            panic!("not read as a complaint: {:?}", p.report);
        };
        assert_eq!(c.feedback_type.as_deref(), Some("abuse"));
        assert_eq!(parse_message(MAIL.as_bytes(), 1 << 20).report, None);
        // Only the top-level header counts: a report quoted in the body is ordinary mail.
        let quoted = format!("Subject: fwd\r\n\r\n{dsn}");
        assert_eq!(parse_message(quoted.as_bytes(), 1 << 20).report, None);
    }

    #[test]
    fn garbage_is_malformed() {
        let p = parse_message(b"\x00\x01\x02 not a mail at all", 1 << 20);
        assert!(p.malformed);
        assert!(p.body_text.is_none());
    }
}
