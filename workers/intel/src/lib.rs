//! Offline email intelligence for the CRM: body preparation (quotes, disclaimers), signature
//! fields, intent, language, entities and keywords, with rules only: no network, no model.
//!
//! ```
//! let a = intel::analyze_text("Bonjour,\n\nPourriez-vous m'envoyer le DIC ?\n\nCordialement,\nJean Dupont\n06 12 34 56 78");
//! assert_eq!(a.intent.label, intel::IntentLabel::InformationRequest);
//! assert_eq!(a.signature.phones, vec!["+33612345678"]);
//! ```
//!
//! An LLM provider can be placed in front of the built-in analyser: run [`analyze_message`], then
//! overlay what the provider answered with [`Analysis::apply_provider`]; the `source` fields tell
//! which one answered.

pub mod analysis;
pub mod body;
pub mod cli;
pub mod contact;
pub mod entities;
pub mod eval;
pub mod intent;
pub mod keywords;
pub mod lang;
pub mod message;
pub mod model;
pub mod signature;
pub mod text;
pub mod train;

pub use analysis::*;
pub use intent::HeaderEvidence;
pub use signature::SenderHints;

/// A message as the analyser reads it, for callers that already hold the parts (e.g. a stored
/// interaction).
#[derive(Debug, Clone, Default)]
pub struct MessageInput<'a> {
    pub subject: &'a str,
    /// Plain-text body (HTML already converted).
    pub body: &'a str,
    pub headers: HeaderEvidence,
    pub sender: SenderHints,
}

/// Number of keywords returned.
pub const KEYWORDS: usize = 10;

/// Analyse a raw message (`.eml` bytes). Never panics; bytes that are not a message are read as
/// a text body.
pub fn analyze_message(raw: &[u8]) -> Analysis {
    let m = message::parse(raw);
    analyze_input(&MessageInput {
        subject: &m.subject,
        body: &m.body,
        headers: m.headers.clone(),
        sender: m.sender.clone(),
    })
}

/// Analyse a body, or only its ending (no headers).
pub fn analyze_text(text: &str) -> Analysis {
    analyze_input(&MessageInput {
        body: text,
        ..Default::default()
    })
}

/// What the analyser reads of a body: the author's own lines, the signature found in them, the
/// author's words without that signature (`text`, what intent reads) and with it (`own_text`).
/// Training reads texts through this same function, so the model sees what it will see in use.
pub struct AuthorView {
    pub signature: Signature,
    pub text: String,
    pub own_text: String,
}

pub fn author_view(body: &str, sender: &SenderHints) -> AuthorView {
    let prepared = body::prepare(body);
    let sig = signature::extract(&prepared.own, sender);
    // the author's words without the signature block
    let intent_lines: Vec<&str> = match signature::block::locate(&prepared.own) {
        Some(loc) if sig.block.is_some() => {
            let end = loc.closing.unwrap_or(loc.start);
            prepared.own[..end].iter().map(String::as_str).collect()
        }
        _ => prepared.own.iter().map(String::as_str).collect(),
    };
    AuthorView {
        signature: sig,
        text: intent_lines.join("\n"),
        own_text: prepared.own_text(),
    }
}

/// Analyse a message given by its parts.
pub fn analyze_input(input: &MessageInput<'_>) -> Analysis {
    let AuthorView {
        signature: mut sig,
        text,
        own_text,
    } = author_view(input.body, &input.sender);
    let language = lang::detect(if text.trim().is_empty() {
        &own_text
    } else {
        &text
    });
    let intent = intent::classify(&intent::IntentInput {
        subject: input.subject,
        text: &text,
        own_text: &own_text,
        full_body: input.body,
        headers: &input.headers,
        language,
    });
    // a delivery report is written by a mail system: it has no sender's signature
    if intent.label == IntentLabel::Bounce {
        sig = Signature::default();
    }
    let mut people: Vec<&str> = Vec::new();
    if let Some(n) = sig.name.as_deref() {
        people.push(n);
    }
    let orgs: Vec<&str> = sig.company.as_deref().into_iter().collect();
    let entities = entities::extract(&own_text, &people, &orgs);
    let keywords = keywords::top(&format!("{} {}", input.subject, text), KEYWORDS);
    Analysis {
        language,
        intent,
        signature: sig,
        entities,
        keywords,
        analyzer: ANALYZER_VERSION.to_string(),
    }
}
