//! Delivery-status notifications (RFC 3464) and complaint feedback reports (ARF, RFC 5965) found in a
//! mailbox, read with mail-parser. Both are untrusted bytes: every function here returns `None` or skips a
//! field rather than fail, and bounds what it reads.

use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};

use super::BounceKind;

/// Bytes of a report read at most. The report parts come before the returned message, so a larger
/// message is read truncated: its recipients and the returned message's header still fit.
pub const MAX_REPORT_BYTES: usize = 4 * 1024 * 1024;
/// Recipients read from one DSN at most; a longer report is read up to this many.
pub const MAX_RECIPIENTS: usize = 1_000;
/// Characters of a diagnostic kept at most.
const MAX_DIAGNOSTIC_CHARS: usize = 1_000;
/// Longest address accepted (RFC 5321: 64 for the local part, 255 for the domain, and the "@").
const MAX_ADDRESS_LEN: usize = 320;
/// Longest Message-ID accepted (RFC 5322's line limit).
const MAX_MESSAGE_ID_LEN: usize = 998;

/// What the reporting MTA did for one recipient (RFC 3464 §2.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DsnAction {
    /// Delivery failed and will not be retried.
    Failed,
    /// Delivery is delayed; the MTA keeps trying.
    Delayed,
    /// Delivered to the recipient's mailbox.
    Delivered,
    /// Relayed to a system that sends no DSN.
    Relayed,
    /// Delivered, then forwarded to further recipients.
    Expanded,
}

/// One per-recipient block of a DSN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DsnRecipient {
    /// The address we sent to: Original-Recipient when given, else Final-Recipient; lower-cased, without
    /// its address type ("rfc822;").
    pub address: String,
    /// What the MTA did.
    pub action: DsnAction,
    /// RFC 3463 status code such as "5.1.1". When the Status field is missing or malformed, the code in
    /// the diagnostic, else "5.0.0" / "4.0.0" / "2.0.0" by action.
    pub status: String,
    /// The remote server's reply (Diagnostic-Code, without its type "smtp;"), bounded in length.
    pub diagnostic: Option<String>,
}

/// A delivery-status notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dsn {
    /// The recipients reported, in order; empty when the report part is missing or unreadable.
    pub recipients: Vec<DsnRecipient>,
    /// Message-ID of the returned message (message/rfc822 or text/rfc822-headers part), without `<>`.
    pub original_message_id: Option<String>,
}

/// A complaint (feedback report) forwarded by a mailbox provider's feedback loop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    /// Feedback-Type, lower-cased: "abuse" for a spam complaint, also "fraud", "virus", "other", ...
    pub feedback_type: Option<String>,
    /// Message-ID of the reported message, without `<>`.
    pub original_message_id: Option<String>,
    /// Original-Rcpt-To, lower-cased; providers often redact it.
    pub original_rcpt_to: Option<String>,
}

/// Reads a DSN. `None` when the message is not one (not multipart/report; report-type=delivery-status).
pub fn parse(raw: &[u8]) -> Option<Dsn> {
    let raw = &raw[..raw.len().min(MAX_REPORT_BYTES)];
    let message = MessageParser::new().parse(raw)?;
    if !is_report(&message, "delivery-status") {
        return None;
    }
    let recipients = message
        .parts
        .iter()
        .find(|part| {
            has_type(part, "message", "delivery-status")
                || has_type(part, "message", "global-delivery-status")
        })
        .map(|part| recipients(&String::from_utf8_lossy(part.contents())))
        .unwrap_or_default();
    Some(Dsn {
        recipients,
        original_message_id: original_message_id(&message),
    })
}

/// Reads a complaint. `None` when the message is not one (not multipart/report;
/// report-type=feedback-report).
pub fn parse_complaint(raw: &[u8]) -> Option<Complaint> {
    let raw = &raw[..raw.len().min(MAX_REPORT_BYTES)];
    let message = MessageParser::new().parse(raw)?;
    if !is_report(&message, "feedback-report") {
        return None;
    }
    let mut complaint = Complaint {
        feedback_type: None,
        original_message_id: original_message_id(&message),
        original_rcpt_to: None,
    };
    if let Some(part) = message
        .parts
        .iter()
        .find(|p| has_type(p, "message", "feedback-report"))
    {
        let text = String::from_utf8_lossy(part.contents());
        let mut blocks = FieldBlocks::new(&text);
        // RFC 5965 §3.1: the report is a single block of fields.
        if let Some(block) = blocks.next() {
            complaint.feedback_type = field(&block, "feedback-type")
                .and_then(first_token)
                .map(|t| t.to_ascii_lowercase());
            complaint.original_rcpt_to = field(&block, "original-rcpt-to").and_then(clean_address);
        }
    }
    Some(complaint)
}

impl DsnRecipient {
    /// Hard or soft bounce; `None` for delivered, relayed, expanded and delayed.
    ///
    /// Hard means the address itself is dead, so it is suppressed at once. A failure with status class 5
    /// is hard when its subject names the recipient address (RFC 3463 X.1.x, except X.1.7/X.1.8 which are
    /// about the sender's address), a disabled mailbox (X.2.1), a domain with no mail route (X.4.4), or
    /// nothing at all (X.0.x: a bare 550 from the remote, overwhelmingly "no such user").
    /// Every other failure is soft: a full mailbox (X.2.2, "a persistent transient failure" per RFC 3463),
    /// message size or content (X.2.3, X.3.x, X.6.x), routing and protocol trouble (X.4.x, X.5.x) and
    /// policy or reputation blocks (X.7.x such as 5.7.1 and DMARC's 5.7.26), which say nothing about the
    /// address. So does any 4.x.x failure. Repeated soft bounces are the caller's to count. A delay is a
    /// warning, not a bounce (the relay still tries; its failure, if it comes, is a DSN of its own): `None`,
    /// so one message delayed and then failed counts once.
    pub fn bounce_kind(&self) -> Option<BounceKind> {
        match self.action {
            DsnAction::Delivered
            | DsnAction::Relayed
            | DsnAction::Expanded
            | DsnAction::Delayed => None,
            DsnAction::Failed if is_hard_status(&self.status) => Some(BounceKind::Hard),
            DsnAction::Failed => Some(BounceKind::Soft),
        }
    }
}

fn is_hard_status(status: &str) -> bool {
    let Some((class, subject, detail)) = status_code(status) else {
        return false;
    };
    class == 5
        && match (subject, detail) {
            (0, _) | (2, 1) | (4, 4) => true,
            (1, 7 | 8) => false,
            (1, _) => true,
            _ => false,
        }
}

/// `multipart/report` with the given report-type, at the root.
fn is_report(message: &Message<'_>, report_type: &str) -> bool {
    let Some(content_type) = message.parts.first().and_then(|root| root.content_type()) else {
        return false;
    };
    content_type.ctype().eq_ignore_ascii_case("multipart")
        && content_type
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        && content_type
            .attributes()
            .unwrap_or_default()
            .iter()
            .any(|attribute| {
                attribute.name.eq_ignore_ascii_case("report-type")
                    && attribute.value.trim().eq_ignore_ascii_case(report_type)
            })
}

fn has_type(part: &MessagePart<'_>, ctype: &str, subtype: &str) -> bool {
    part.content_type().is_some_and(|content_type| {
        content_type.ctype().eq_ignore_ascii_case(ctype)
            && content_type
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case(subtype))
    })
}

/// Message-ID of the returned message or of its returned header.
fn original_message_id(message: &Message<'_>) -> Option<String> {
    message.parts.iter().skip(1).find_map(|part| {
        let id = if has_type(part, "message", "rfc822") || has_type(part, "message", "global") {
            match &part.body {
                PartType::Message(nested) if !nested.parts.is_empty() => {
                    nested.message_id().map(str::to_owned)
                }
                _ => header_message_id(part.contents()),
            }
        } else if has_type(part, "text", "rfc822-headers")
            || has_type(part, "message", "global-headers")
        {
            header_message_id(part.contents())
        } else {
            return None;
        };
        id.as_deref().and_then(clean_message_id)
    })
}

fn header_message_id(header: &[u8]) -> Option<String> {
    let message = MessageParser::new().parse_headers(header)?;
    if message.parts.is_empty() {
        return None;
    }
    message.message_id().map(str::to_owned)
}

fn clean_message_id(id: &str) -> Option<String> {
    let id = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    let valid = !id.is_empty()
        && id.len() <= MAX_MESSAGE_ID_LEN
        && !id.chars().any(|c| c.is_whitespace() || c.is_control());
    valid.then(|| id.to_owned())
}

/// The per-recipient blocks of a message/delivery-status body (RFC 3464 §2.1): the first block holds the
/// per-message fields and is skipped, as is any block without an Action field or a readable address.
fn recipients(text: &str) -> Vec<DsnRecipient> {
    FieldBlocks::new(text)
        .filter_map(|block| recipient(&block))
        .take(MAX_RECIPIENTS)
        .collect()
}

fn recipient(block: &[(String, String)]) -> Option<DsnRecipient> {
    let action = match first_token(field(block, "action")?)?
        .to_ascii_lowercase()
        .as_str()
    {
        "failed" => DsnAction::Failed,
        "delayed" => DsnAction::Delayed,
        "delivered" => DsnAction::Delivered,
        "relayed" => DsnAction::Relayed,
        "expanded" => DsnAction::Expanded,
        _ => return None,
    };
    let address = field(block, "original-recipient")
        .and_then(typed_address)
        .or_else(|| field(block, "final-recipient").and_then(typed_address))?;
    let diagnostic = field(block, "diagnostic-code").and_then(diagnostic);
    let status = field(block, "status")
        .and_then(first_token)
        .filter(|s| status_code(s).is_some())
        .map(str::to_owned)
        .or_else(|| diagnostic.as_deref().and_then(status_in_text))
        .unwrap_or_else(|| {
            match action {
                DsnAction::Failed => "5.0.0",
                DsnAction::Delayed => "4.0.0",
                DsnAction::Delivered | DsnAction::Relayed | DsnAction::Expanded => "2.0.0",
            }
            .to_owned()
        });
    Some(DsnRecipient {
        address,
        action,
        status,
        diagnostic,
    })
}

/// The value of a field by lower-case name; the first one wins.
fn field<'b>(block: &'b [(String, String)], name: &str) -> Option<&'b str> {
    block
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// First whitespace- or comment-delimited token of a field value.
fn first_token(value: &str) -> Option<&str> {
    value
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .find(|t| !t.is_empty())
}

/// `address-type ; generic-address` (RFC 3464 §2.1.2); an address without a type is taken as is.
fn typed_address(value: &str) -> Option<String> {
    let address = value.split_once(';').map_or(value, |(_, address)| address);
    clean_address(address)
}

fn clean_address(address: &str) -> Option<String> {
    let address = address
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    let valid = address.len() <= MAX_ADDRESS_LEN
        && address
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    valid.then(|| address.to_lowercase())
}

/// `diagnostic-type ; text` (RFC 3464 §2.3.6), bounded and without control characters.
fn diagnostic(value: &str) -> Option<String> {
    let text = value.split_once(';').map_or(value, |(_, text)| text).trim();
    let text: String = text
        .chars()
        .take(MAX_DIAGNOSTIC_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// `class.subject.detail` with class 2, 4 or 5 and up to three digits each (RFC 3463 §2).
fn status_code(code: &str) -> Option<(u8, u16, u16)> {
    let mut parts = code.split('.');
    let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
    let number = |s: &str| {
        (!s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
    };
    let class = match class {
        "2" => 2,
        "4" => 4,
        "5" => 5,
        _ => return None,
    };
    (parts.next().is_none()).then_some((class, number(subject)?, number(detail)?))
}

/// The first enhanced status code in a server reply such as "550 5.1.1 <...>: user unknown".
fn status_in_text(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';' | ':' | '[' | ']'))
        .find(|token| status_code(token).is_some())
        .map(str::to_owned)
}

/// Blocks of header-style fields separated by blank lines, with folded lines unfolded, names lower-cased
/// and values trimmed. Accepts CRLF and LF; lines without a colon are ignored.
struct FieldBlocks<'t> {
    lines: std::str::Lines<'t>,
}

impl<'t> FieldBlocks<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            lines: text.lines(),
        }
    }
}

impl Iterator for FieldBlocks<'_> {
    type Item = Vec<(String, String)>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut block: Vec<(String, String)> = Vec::new();
        for line in self.lines.by_ref() {
            if line.trim().is_empty() {
                if block.is_empty() {
                    continue;
                }
                return Some(block);
            }
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = block.last_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                block.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        (!block.is_empty()).then_some(block)
    }
}
