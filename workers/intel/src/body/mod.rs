//! Body preparation: normalised text split into the author's own lines, the quoted history and the
//! legal disclaimer.

pub mod disclaimer;
pub mod quote;

use crate::text;

/// Longest body (bytes) that is analysed; the rest of a huge message is ignored.
pub const MAX_BODY: usize = 256 * 1024;
/// Bytes of the end of a huge body kept beside its beginning.
const TAIL_KEPT: usize = 16 * 1024;

/// The author's text, split.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prepared {
    /// Lines written by the author (quoted history and trailing disclaimer removed, device lines
    /// such as "Envoyé de mon iPhone" removed).
    pub own: Vec<String>,
    /// Quoted or forwarded history, if any.
    pub quoted: Option<String>,
    /// Legal disclaimer at the end of the author's text, if any.
    pub disclaimer: Option<String>,
}

impl Prepared {
    pub fn own_text(&self) -> String {
        self.own.join("\n")
    }
}

/// Split a body (plain text) into own text, quotes and disclaimer.
pub fn prepare(body: &str) -> Prepared {
    // a huge body keeps its beginning and its end (where the signature is)
    let norm = if body.len() > MAX_BODY {
        let head = text::truncate(body, MAX_BODY - TAIL_KEPT);
        let tail = text::tail(body, TAIL_KEPT);
        let tail = tail.split_once('\n').map_or(tail, |(_, t)| t);
        text::normalize_body(&format!("{head}\n{tail}"))
    } else {
        text::normalize_body(body)
    };
    let lines: Vec<&str> = norm.split('\n').collect();
    let (own_end, quoted) = match quote::quote_start(&lines) {
        Some(i) => (i, Some(lines[i..].join("\n"))),
        None => (lines.len(), None),
    };
    let mut own: Vec<&str> = lines[..own_end].to_vec();
    // device lines end the author's text
    own.retain(|l| !quote::is_device_line(l));
    while own.last().is_some_and(|l| l.trim().is_empty()) {
        own.pop();
    }
    let disclaimer = match disclaimer::disclaimer_start(&own) {
        Some(i) => {
            let d = own[i..].join("\n");
            own.truncate(i);
            while own.last().is_some_and(|l| l.trim().is_empty()) {
                own.pop();
            }
            Some(d)
        }
        None => None,
    };
    while own.first().is_some_and(|l| l.trim().is_empty()) {
        own.remove(0);
    }
    Prepared {
        own: own.into_iter().map(str::to_string).collect(),
        quoted,
        disclaimer,
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]
mod tests {
    use super::*;

    #[test]
    fn strips_quote_and_disclaimer() {
        let p = prepare(
            "Merci.\n\nCordialement,\nJean\n\nCe message est confidentiel. Si vous n'en êtes pas le destinataire, détruisez-le.\n\nLe lun. 3 nov. 2025 à 10:00, Paul <p@x.fr> a écrit :\n> Bonjour",
        );
        assert_eq!(p.own, vec!["Merci.", "", "Cordialement,", "Jean"]);
        assert!(p.quoted.unwrap().starts_with("Le lun."));
        assert!(p.disclaimer.unwrap().starts_with("Ce message"));
    }

    #[test]
    fn removes_device_lines() {
        let p = prepare("OK pour jeudi.\n\nPhilippe\n\nEnvoyé de mon iPhone");
        assert_eq!(p.own, vec!["OK pour jeudi.", "", "Philippe"]);
    }
}
