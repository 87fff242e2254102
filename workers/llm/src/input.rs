//! What a provider is shown, and the normalised form that is hashed into the cache key.
//!
//! A message is reduced like the built-in analyser reads it: subject, sender, the automatic-reply
//! and delivery-report evidence of the headers, then the author's own text (quoted history and
//! disclaimers cut). Normalisation (NFC, LF line ends, trimmed lines, at most one blank line in a
//! row, a size cap) makes the same message in CRLF or LF, or re-wrapped with trailing spaces, hit
//! the same cache entry.

use unicode_normalization::UnicodeNormalization;

/// Largest input sent to a provider, in characters: the head and the tail (where the signature
/// is) are kept.
pub const MAX_INPUT_CHARS: usize = 12_000;
const TAIL_CHARS: usize = 4_000;

/// The provider input for a raw message.
pub fn from_message(raw: &[u8]) -> String {
    let m = intel::message::parse(raw);
    let prepared = intel::body::prepare(&m.body);
    let mut head = String::new();
    if !m.subject.trim().is_empty() {
        head.push_str(&format!("Subject: {}\n", m.subject.trim()));
    }
    let from = match (&m.sender.name, &m.sender.email) {
        (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
        (None, Some(e)) => Some(e.clone()),
        (Some(n), None) => Some(n.clone()),
        (None, None) => None,
    };
    if let Some(f) = from {
        head.push_str(&format!("From: {f}\n"));
    }
    let h = &m.headers;
    if let Some(a) = &h.auto_submitted {
        head.push_str(&format!("Auto-Submitted: {a}\n"));
    }
    if h.x_autoreply {
        head.push_str("X-Autoreply: yes\n");
    }
    if let Some(p) = &h.precedence {
        head.push_str(&format!("Precedence: {p}\n"));
    }
    if h.delivery_report {
        head.push_str("Content-Type: multipart/report; report-type=delivery-status\n");
    }
    normalize(&format!("{head}\n{}", prepared.own_text()))
}

/// The provider input for a body or its ending.
pub fn from_text(text: &str) -> String {
    let prepared = intel::body::prepare(text);
    let own = prepared.own_text();
    // a text that is only quoted history keeps its words rather than becoming empty
    normalize(if own.trim().is_empty() { text } else { &own })
}

/// NFC, LF line ends, trimmed line ends, blank runs collapsed, capped at [`MAX_INPUT_CHARS`].
pub fn normalize(text: &str) -> String {
    let nfc: String = text.nfc().collect();
    let mut out = String::with_capacity(nfc.len());
    let mut blank = 0;
    for line in nfc.split('\n') {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    let out = out.trim_end();
    let count = out.chars().count();
    if count <= MAX_INPUT_CHARS {
        return out.to_owned();
    }
    let head: String = out.chars().take(MAX_INPUT_CHARS - TAIL_CHARS).collect();
    let tail: String = out.chars().skip(count - TAIL_CHARS).collect();
    format!("{head}\n[...]\n{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_trailing_spaces_do_not_matter() {
        assert_eq!(
            normalize("Bonjour,  \r\n\r\n\r\nMerci\r\n"),
            normalize("Bonjour,\n\nMerci")
        );
        assert_eq!(normalize("e\u{301}t\u{e9}"), "\u{e9}t\u{e9}");
    }

    #[test]
    fn long_inputs_keep_head_and_tail() {
        let text = format!("start {} end", "x".repeat(50_000));
        let n = normalize(&text);
        assert!(n.starts_with("start"));
        assert!(n.ends_with("end"));
        assert!(n.chars().count() <= MAX_INPUT_CHARS + 10);
    }

    #[test]
    fn message_input_has_subject_sender_and_own_text() {
        let raw = b"From: Jean Dupont <jean@acme.fr>\r\nSubject: Devis\r\nAuto-Submitted: no\r\n\r\nBonjour,\r\nvotre grille tarifaire ?\r\n\r\nLe 3 mars, Paul a \xc3\xa9crit :\r\n> ancien message\r\n";
        let i = from_message(raw);
        assert!(
            i.starts_with("Subject: Devis\nFrom: Jean Dupont <jean@acme.fr>\n"),
            "{i}"
        );
        assert!(i.contains("votre grille tarifaire ?"), "{i}");
        assert!(!i.contains("ancien message"), "{i}");
    }
}
