//! The task prompt and the strict reading of the reply.
//!
//! The provider must answer one JSON object:
//! `{"intent": {"label": "<one of the 11>", "confidence": 0.0-1.0},
//!   "signature": {"name", "title", "company", "linkedin", "address": string|null,
//!                 "phones", "emails", "urls": [string]}}`.
//! Anything else (not JSON, unknown label, wrong types, confidence outside [0, 1]) is an invalid
//! reply and the cascade moves on.

use intel::{IntentLabel, ProviderResult};
use serde::Deserialize;

/// Version of the prompt and of the expected reply shape. It is part of the cache key: change it
/// whenever [`SYSTEM_PROMPT`] or the shape changes, so old answers are not reused.
pub const PROMPT_VERSION: &str = "email-analysis-v1";

/// What is asked of the provider. Part of the cache key; also decides the cache lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Task {
    /// A whole message (subject, sender, header evidence, the author's text): the long prompt
    /// of `intel.analyze_email` / `intel.reanalyze`, over stored messages that never change.
    /// Expensive: cached for `LLM_CACHE_EXPENSIVE_TTL_SECS` (7 days).
    Message,
    /// A body or only its ending (`POST /api/v1/analyze`, `workers analyze --text`): short,
    /// ad hoc. Cached for `LLM_CACHE_TTL_SECS` (1 h).
    Text,
}

impl Task {
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Message => "message",
            Task::Text => "text",
        }
    }

    /// Whether results of this task get the long cache lifetime.
    pub fn is_expensive(self) -> bool {
        self == Task::Message
    }
}

/// Instructions sent as the system message.
pub const SYSTEM_PROMPT: &str = r#"You analyse emails received by a French asset-management firm (contacts: investors, financial advisers, distributors, insurers, wealth managers). Emails are mostly in French, some in English.

Answer with ONE JSON object and nothing else, exactly of this shape:
{"intent": {"label": LABEL, "confidence": NUMBER}, "signature": {"name": STRING_OR_NULL, "title": STRING_OR_NULL, "company": STRING_OR_NULL, "phones": [STRING], "emails": [STRING], "urls": [STRING], "linkedin": STRING_OR_NULL, "address": STRING_OR_NULL}}

intent.label is exactly one of:
- meeting_request: asks to set up, move or rebook a call, visio, meeting, lunch or rendez-vous, or to be called back to arrange one.
- information_request: asks for documents or facts (factsheet, DIC/KID, prospectus, reporting, ISIN, cut-offs, tax, how a product works), not prices.
- quote_request: asks what something costs or for a commercial offer (fees, retrocessions, tariff, devis, tender answer, pricing).
- interested: positive reply showing interest or agreement to go ahead, with no more specific request.
- not_interested: declines or puts things on hold, without asking to be removed from mailings.
- complaint: a reclamation or dissatisfaction (errors, late or missing payments, delays, no answer, pushy sales, mediator).
- unsubscribe: asks to stop receiving emails, newsletters or invitations, or to be removed from lists.
- gdpr_request: exercises a data-protection right (access, erasure, rectification, restriction, portability, objection).
- out_of_office: an automatic absence reply (away, leave, left the company).
- bounce: a delivery-failure notification from a mail server.
- other: everything else (thanks, newsletters, third-party invitations, marketing, spam, notifications).
When several apply, choose by this precedence: bounce and out_of_office always win, then gdpr_request > unsubscribe > complaint > quote_request > meeting_request > information_request > interested > not_interested > other.
Judge what the author wrote; quoted messages, signatures and disclaimers are only context.
intent.confidence is your probability (0 to 1) that the label is right.

signature describes the sender's own signature block: name, job title, company, phone numbers as written (fax excluded), email addresses, websites (LinkedIn excluded), LinkedIn URL, postal address on one line. Use null or [] for what is absent; never invent values."#;

/// The user message: the prepared input, introduced by its task.
pub fn user_message(task: Task, input: &str) -> String {
    match task {
        Task::Message => format!("Analyse this email.\n\n{input}"),
        Task::Text => format!("Analyse this email body (it may be only its ending).\n\n{input}"),
    }
}

/// Why a reply was refused. Never carries the reply's content (it may quote the message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("reply is not a JSON object of the expected shape: {0}")]
    Shape(String),
    #[error("unknown intent label")]
    UnknownLabel,
    #[error("confidence is not a number in [0, 1]")]
    Confidence,
}

#[derive(Deserialize)]
struct Reply {
    intent: ReplyIntent,
    signature: ReplySignature,
}

#[derive(Deserialize)]
struct ReplyIntent {
    label: String,
    confidence: f64,
}

#[derive(Deserialize)]
struct ReplySignature {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    company: Option<String>,
    #[serde(default)]
    phones: Option<Vec<String>>,
    #[serde(default)]
    emails: Option<Vec<String>>,
    #[serde(default)]
    urls: Option<Vec<String>>,
    #[serde(default)]
    linkedin: Option<String>,
    #[serde(default)]
    address: Option<String>,
}

/// Reads a provider's reply text into a [`ProviderResult`] recorded under `source`.
pub fn parse_reply(text: &str, source: &str) -> Result<ProviderResult, ReplyError> {
    let reply: Reply = serde_json::from_str(strip_fence(text))
        .map_err(|e| ReplyError::Shape(format!("{:?} at column {}", e.classify(), e.column())))?;
    let label = IntentLabel::parse(&reply.intent.label).ok_or(ReplyError::UnknownLabel)?;
    let confidence = reply.intent.confidence;
    if !(0.0..=1.0).contains(&confidence) {
        return Err(ReplyError::Confidence);
    }
    let s = reply.signature;
    let text_field = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let list = |v: Option<Vec<String>>| {
        v.map(|l| {
            l.into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
    };
    Ok(ProviderResult {
        provider: source.to_owned(),
        intent: Some((label, confidence)),
        name: text_field(s.name),
        title: text_field(s.title),
        company: text_field(s.company),
        phones: list(s.phones),
        emails: list(s.emails),
        urls: list(s.urls),
        linkedin: text_field(s.linkedin),
        address: text_field(s.address),
    })
}

/// Models without a JSON mode (Anthropic) sometimes wrap the object in a Markdown code fence.
fn strip_fence(text: &str) -> &str {
    let t = text.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use super::*;

    const OK: &str = r#"{"intent": {"label": "quote_request", "confidence": 0.9},
        "signature": {"name": "Jean Dupont", "title": null, "company": "Acme Gestion",
        "phones": ["01 42 00 00 00"], "emails": [], "urls": [], "linkedin": null, "address": " "}}"#;

    #[test]
    fn reads_the_expected_shape() {
        let r = parse_reply(OK, "openai:gpt-4o-mini").unwrap();
        assert_eq!(r.intent, Some((IntentLabel::QuoteRequest, 0.9)));
        assert_eq!(r.name.as_deref(), Some("Jean Dupont"));
        assert_eq!(r.title, None);
        assert_eq!(r.address, None);
        assert_eq!(r.phones, Some(vec!["01 42 00 00 00".to_owned()]));
        assert_eq!(r.provider, "openai:gpt-4o-mini");
        let fenced = format!("```json\n{OK}\n```");
        assert!(parse_reply(&fenced, "x").is_ok());
    }

    #[test]
    fn refuses_other_shapes() {
        let bad = [
            "not json",
            "[]",
            r#"{"intent": {"label": "quote_request", "confidence": 0.9}}"#,
            r#"{"intent": {"label": "quote_request", "confidence": "high"}, "signature": {}}"#,
            r#"{"intent": {"label": "quote_request", "confidence": 0.9}, "signature": {"phones": "0142"}}"#,
        ];
        for b in bad {
            assert!(
                matches!(parse_reply(b, "x"), Err(ReplyError::Shape(_))),
                "{b}"
            );
        }
        let unknown = r#"{"intent": {"label": "buy_now", "confidence": 0.9}, "signature": {}}"#;
        assert_eq!(parse_reply(unknown, "x"), Err(ReplyError::UnknownLabel));
        let conf = r#"{"intent": {"label": "other", "confidence": 1.5}, "signature": {}}"#;
        assert_eq!(parse_reply(conf, "x"), Err(ReplyError::Confidence));
    }

    #[test]
    fn errors_do_not_quote_the_reply() {
        let e = parse_reply("{\"secret text\": ", "x")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("secret"), "{e}");
    }
}
