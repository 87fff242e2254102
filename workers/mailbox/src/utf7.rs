//! IMAP folder names in modified UTF-7 (RFC 3501 §5.1.3): printable ASCII stands for itself except `&`,
//! written `&-`; other characters are UTF-16BE in base64 (`,` instead of `/`, no padding) between `&`
//! and `-`.

use base64::Engine;
use base64::alphabet::Alphabet;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};

fn engine() -> Option<GeneralPurpose> {
    let alphabet =
        Alphabet::new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").ok()?;
    Some(GeneralPurpose::new(
        &alphabet,
        GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
    ))
}

/// Decodes a server's folder name; `None` when it is not valid modified UTF-7.
pub fn decode(name: &str) -> Option<String> {
    let engine = engine()?;
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find('-')?;
        let encoded = &after[..end];
        if encoded.is_empty() {
            out.push('&');
        } else {
            let bytes = engine.decode(encoded).ok()?;
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            let text = String::from_utf16(&units).ok()?;
            // Printable ASCII must not be encoded: a name that does it is not canonical.
            if text.chars().any(|c| (' '..='~').contains(&c)) {
                return None;
            }
            out.push_str(&text);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Decodes a folder name, keeping it as sent when it is not valid modified UTF-7 (some servers send
/// raw UTF-8).
pub fn decode_lossy(name: &str) -> String {
    decode(name).unwrap_or_else(|| name.to_owned())
}

/// Encodes a folder name for the wire.
pub fn encode(name: &str) -> String {
    let Some(engine) = engine() else {
        return name.to_owned();
    };
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        out.push_str(&engine.encode(bytes));
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_examples_and_french_folders() {
        // RFC 3501's example.
        assert_eq!(
            decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-").as_deref(),
            Some("~peter/mail/台北/日本語")
        );
        assert_eq!(
            encode("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        for name in [
            "Éléments envoyés",
            "Brouillons",
            "Q&A",
            "Corbeille/Année 2024",
            "Boîte d'envoi",
            "emoji 📧",
            "",
        ] {
            assert_eq!(decode(&encode(name)).as_deref(), Some(name), "{name}");
        }
        assert_eq!(encode("Éléments envoyés"), "&AMk-l&AOk-ments envoy&AOk-s");
        assert_eq!(encode("Q&A"), "Q&-A");
    }

    #[test]
    fn invalid_names_are_refused_or_kept() {
        assert_eq!(decode("&Jjo"), None, "unterminated");
        assert_eq!(decode("&AGE-"), None, "encoded ASCII");
        assert_eq!(decode("&A-"), None, "odd byte count");
        assert_eq!(decode_lossy("Envoyés"), "Envoyés");
    }
}
