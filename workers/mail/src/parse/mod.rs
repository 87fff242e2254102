//! Raw RFC 5322 bytes to the fields the CRM stores. [`parse_message`] never panics and never logs.

mod address;
pub mod message_id;
pub mod synthetic;

use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, Utc};
use mail_parser::{HeaderName, HeaderValue, Message, MessageParser};
use serde::{Deserialize, Serialize};

pub use address::Mailbox;
pub use synthetic::{is_synthetic, synthetic_id};

use crate::thread::ThreadInput;

/// Default `MAIL_MAX_BYTES`: larger messages keep their headers only.
pub const DEFAULT_MAX_BYTES: usize = 25 * 1024 * 1024;

/// What the CRM keeps of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedEmail {
    /// Message-ID without angle brackets, domain lower-cased; synthetic when the message has none.
    pub message_id: String,
    /// `message_id` was derived from the content ([`synthetic_id`]).
    pub synthetic_id: bool,
    /// First valid id of In-Reply-To.
    pub in_reply_to: Option<String>,
    /// Valid ids of References, in order, later repeats removed.
    pub references: Vec<String>,
    /// Parent per RFC 5256: the last valid References id (before deduplication), else `in_reply_to`.
    pub parent_id: Option<String>,
    pub from: Vec<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// Subject, MIME-decoded.
    pub subject: Option<String>,
    /// Date header; the caller supplies the fallback ([`ParsedEmail::sent_date`]).
    pub date: Option<DateTime<Utc>>,
    /// text/plain body parts joined; HTML converted to text when there is no text part. `None` when
    /// oversized or when the message has no text.
    pub text: Option<String>,
    /// Size of the raw message in bytes.
    pub size: usize,
    /// Over `max_bytes`: headers only, no body.
    pub oversized: bool,
    /// Why the message could not be parsed properly; the other fields hold what could be read.
    pub malformed: Option<String>,
    /// Why it is bulk or automated mail per its headers ([`automated_reason`]); `None` for a person's mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated: Option<String>,
}

impl ParsedEmail {
    /// RFC 5256 sent date: the Date header, else `fallback` (IMAP INTERNALDATE, mbox From_ line date).
    pub fn sent_date(&self, fallback: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        self.date.or(fallback)
    }

    /// References for threading: the deduplicated list, with the parent appended again when a
    /// repeated id made it lose its last place (`<c> <d> <c>` keeps `c` as the parent, as the
    /// literal RFC 5256 reading and IMAP servers do).
    pub fn thread_references(&self) -> Vec<String> {
        let mut refs = self.references.clone();
        if let Some(parent) = &self.parent_id
            && !refs.is_empty()
            && refs.last() != Some(parent)
        {
            refs.push(parent.clone());
        }
        refs
    }

    /// Input for [`crate::thread::thread`]: synthetic ids are dropped (a message without Message-ID
    /// gets a unique container, as RFC 5256 asks).
    pub fn thread_input(&self, id: u32, fallback_date: Option<DateTime<Utc>>) -> ThreadInput {
        ThreadInput {
            id,
            message_id: (!self.synthetic_id).then(|| self.message_id.clone()),
            references: self.thread_references(),
            in_reply_to: self.in_reply_to.clone(),
            subject: self.subject.clone().unwrap_or_default(),
            sent_date: self.sent_date(fallback_date),
        }
    }
}

/// Parse a raw message. Over `max_bytes` only the headers are read (`oversized`); bytes that are not a
/// message give `malformed` with whatever could be read. Never panics.
pub fn parse_message(raw: &[u8], max_bytes: usize) -> ParsedEmail {
    let oversized = raw.len() > max_bytes;
    let parsed = catch_unwind(AssertUnwindSafe(|| {
        let parser = MessageParser::default();
        let msg = if oversized {
            parser.parse_headers(raw)
        } else {
            parser.parse(raw)
        };
        msg.map(|m| from_message(raw, &m, oversized))
    }));
    let (mut email, reason) = match parsed {
        Ok(Some(email)) => {
            let reason = email.malformed.clone();
            (email, reason)
        }
        Ok(None) => (
            empty(raw, oversized),
            Some("not a message: no header could be read".to_string()),
        ),
        Err(_) => (
            empty(raw, oversized),
            Some("the MIME parser failed on this message".to_string()),
        ),
    };
    email.malformed = reason;
    // Hashing is only paid for messages without a Message-ID.
    if email.synthetic_id {
        email.message_id = synthetic_id(raw);
    }
    email
}

fn empty(raw: &[u8], oversized: bool) -> ParsedEmail {
    ParsedEmail {
        message_id: String::new(),
        synthetic_id: true,
        in_reply_to: None,
        references: Vec::new(),
        parent_id: None,
        from: Vec::new(),
        to: Vec::new(),
        cc: Vec::new(),
        subject: None,
        date: None,
        text: None,
        size: raw.len(),
        oversized,
        malformed: None,
        automated: None,
    }
}

fn from_message(raw: &[u8], msg: &Message<'_>, oversized: bool) -> ParsedEmail {
    let mut email = empty(raw, oversized);
    if msg.headers().is_empty() || !synthetic::has_header_field(raw) {
        email.malformed = Some("no header fields".to_string());
        return email;
    }
    // The first occurrence of each header counts, as in IMAP servers' threading.
    let first = |name: HeaderName<'static>| msg.headers().iter().find(|h| h.name == name);
    let raw_value = |name: HeaderName<'static>| {
        first(name)
            .and_then(|h| raw.get(h.offset_start() as usize..h.offset_end() as usize))
            .map(String::from_utf8_lossy)
    };
    if let Some(id) =
        raw_value(HeaderName::MessageId).and_then(|v| message_id::first_message_id(&v))
    {
        email.message_id = id;
        email.synthetic_id = false;
    }
    email.in_reply_to =
        raw_value(HeaderName::InReplyTo).and_then(|v| message_id::first_message_id(&v));
    let references = raw_value(HeaderName::References)
        .map(|v| message_id::message_ids(&v))
        .unwrap_or_default();
    email.parent_id = references
        .last()
        .cloned()
        .or_else(|| email.in_reply_to.clone());
    email.references = message_id::dedup_in_order(references);
    email.from = address::mailboxes(
        msg.header_values(HeaderName::From)
            .filter_map(HeaderValue::as_address),
    );
    email.to = address::mailboxes(
        msg.header_values(HeaderName::To)
            .filter_map(HeaderValue::as_address),
    );
    email.cc = address::mailboxes(
        msg.header_values(HeaderName::Cc)
            .filter_map(HeaderValue::as_address),
    );
    email.subject = first(HeaderName::Subject)
        .and_then(|h| h.value().as_text())
        .map(str::to_string);
    email.date = first(HeaderName::Date)
        .and_then(|h| h.value().as_datetime())
        .filter(|d| d.is_valid())
        .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0));
    email.automated = automated_reason(msg);
    if !oversized {
        email.text = body_text(msg);
    }
    email
}

/// Why `msg` is bulk or automated mail, from its headers: `list` (`List-Id` or `List-Unsubscribe`),
/// `precedence:bulk|list|junk`, `auto-submitted:<value>` (RFC 3834, any value but `no`) or `autoreply`
/// (`X-Autoreply`, `X-Autorespond`, `X-Auto-Response-Suppress`). `None` for mail a person wrote.
pub fn automated_reason(msg: &Message<'_>) -> Option<String> {
    let raw = |name: &str| msg.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if raw("List-Id").is_some() || raw("List-Unsubscribe").is_some() {
        return Some("list".into());
    }
    if let Some(p) = raw("Precedence").filter(|p| matches!(p.as_str(), "bulk" | "list" | "junk")) {
        return Some(format!("precedence:{p}"));
    }
    if let Some(a) = raw("Auto-Submitted").filter(|a| !a.is_empty() && a.as_str() != "no") {
        let value: String = a.chars().take_while(|c| *c != ';').take(40).collect();
        return Some(format!("auto-submitted:{}", value.trim()));
    }
    if ["X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"]
        .iter()
        .any(|h| raw(h).is_some())
    {
        return Some("autoreply".into());
    }
    None
}

fn body_text(msg: &Message<'_>) -> Option<String> {
    let parts: Vec<String> = (0..msg.text_body.len())
        .filter_map(|i| msg.body_text(i))
        .map(|t| t.into_owned())
        .collect();
    let text = parts.join("\n");
    (!text.trim().is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(headers: &str) -> Option<String> {
        let raw =
            format!("Message-ID: <a@x.fr>\r\nFrom: a@x.fr\r\n{headers}Subject: s\r\n\r\nbody\r\n");
        parse_message(raw.as_bytes(), 1 << 20).automated
    }

    #[test]
    fn bulk_and_automated_mail_is_named_by_its_headers() {
        assert_eq!(reason(""), None);
        assert_eq!(reason("List-Id: <news.x.fr>\r\n").as_deref(), Some("list"));
        assert_eq!(
            reason("List-Unsubscribe: <https://x.fr/u>\r\n").as_deref(),
            Some("list")
        );
        assert_eq!(
            reason("Precedence: Bulk\r\n").as_deref(),
            Some("precedence:bulk")
        );
        assert_eq!(reason("Precedence: first-class\r\n"), None);
        assert_eq!(
            reason("Auto-Submitted: auto-replied; owner-email=\"x@y\"\r\n").as_deref(),
            Some("auto-submitted:auto-replied")
        );
        assert_eq!(reason("Auto-Submitted: no\r\n"), None);
        assert_eq!(reason("X-Autoreply: yes\r\n").as_deref(), Some("autoreply"));
    }
}
