//! Reading an `.eml`: subject, sender, the text body (HTML converted when there is no text part)
//! and the header evidence for intent.

use crate::intent::HeaderEvidence;
use crate::signature::SenderHints;
use mail_parser::{MessageParser, MimeHeaders};

/// Largest message read (bytes); the rest is ignored.
pub const MAX_MESSAGE: usize = 8 * 1024 * 1024;

/// A message reduced to what the analyser reads.
#[derive(Debug, Clone, Default)]
pub struct ParsedMessage {
    pub subject: String,
    pub body: String,
    pub headers: HeaderEvidence,
    pub sender: SenderHints,
}

/// Parse raw bytes of a message. Bytes that are not a message are read as a plain text body.
pub fn parse(raw: &[u8]) -> ParsedMessage {
    let raw = &raw[..raw.len().min(MAX_MESSAGE)];
    let Some(msg) = MessageParser::default().parse(raw) else {
        return ParsedMessage {
            body: String::from_utf8_lossy(raw).into_owned(),
            ..Default::default()
        };
    };
    let subject = msg.subject().unwrap_or("").to_string();
    let from = msg.from().and_then(|a| a.first());
    let sender = SenderHints {
        name: from
            .and_then(|a| a.name())
            .map(str::to_string)
            .filter(|s| !s.trim().is_empty()),
        email: from.and_then(|a| a.address()).map(str::to_string),
    };
    let raw_header = |name: &str| msg.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    let mut headers = HeaderEvidence {
        auto_submitted: raw_header("Auto-Submitted"),
        x_autoreply: raw_header("X-Autoreply").is_some()
            || raw_header("X-Autorespond").is_some()
            || raw_header("X-Auto-Reply").is_some(),
        x_auto_response_suppress: raw_header("X-Auto-Response-Suppress").is_some(),
        precedence: raw_header("Precedence"),
        list: raw_header("List-Id").is_some() || raw_header("List-Unsubscribe").is_some(),
        delivery_report: false,
        from_mail_system: false,
    };
    let is_report = |ct: Option<&mail_parser::ContentType<'_>>| {
        ct.is_some_and(|c| {
            let (t, s) = (
                c.ctype().to_ascii_lowercase(),
                c.subtype().unwrap_or("").to_ascii_lowercase(),
            );
            (t == "multipart"
                && s == "report"
                && c.attribute("report-type")
                    .is_some_and(|v| v.eq_ignore_ascii_case("delivery-status")))
                || (t == "message" && (s == "delivery-status" || s == "global-delivery-status"))
        })
    };
    headers.delivery_report =
        is_report(msg.content_type()) || msg.parts.iter().any(|p| is_report(p.content_type()));
    let from_addr = sender.email.as_deref().unwrap_or("").to_ascii_lowercase();
    let local = from_addr.split('@').next().unwrap_or("");
    let from_name = sender.name.as_deref().unwrap_or("").to_ascii_lowercase();
    headers.from_mail_system = matches!(
        local,
        "mailer-daemon" | "postmaster" | "mail-daemon" | "maildaemon" | "mailerdaemon"
    ) || from_name.contains("mail delivery")
        || from_name.contains("mailer-daemon")
        || from_name.contains("système de messagerie")
        || from_name.contains("systeme de messagerie")
        || (local.starts_with("microsoftexchange") && from_name.contains("outlook"));
    let body = msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
    ParsedMessage {
        subject,
        body,
        headers,
        sender,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers_and_body() {
        let raw = b"From: Jean Dupont <jean@x.fr>\r\nSubject: =?utf-8?q?R=C3=A9ponse_automatique?=\r\nAuto-Submitted: auto-replied\r\nX-Autoreply: yes\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nJe suis absent.\r\n";
        let m = parse(raw);
        assert_eq!(m.subject, "Réponse automatique");
        assert_eq!(m.sender.name.as_deref(), Some("Jean Dupont"));
        assert_eq!(m.headers.auto_submitted.as_deref(), Some("auto-replied"));
        assert!(m.headers.x_autoreply);
        assert!(m.body.contains("Je suis absent."));
    }

    #[test]
    fn html_only_is_converted() {
        let raw = b"From: a@b.fr\nContent-Type: text/html; charset=utf-8\n\n<html><body><p>Bonjour,</p><p>Merci <b>beaucoup</b>.</p></body></html>\n";
        let m = parse(raw);
        assert!(m.body.contains("Merci beaucoup"), "{}", m.body);
    }

    #[test]
    fn garbage_is_read_as_text() {
        let m = parse(&[0xff, 0xfe, 0x00, b'a']);
        assert!(m.subject.is_empty());
    }
}
