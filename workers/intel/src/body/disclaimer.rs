//! Legal disclaimers and regulatory footers at the end of the author's text.

use crate::text::ac;
use crate::text::fold;
use aho_corasick::AhoCorasick;
use std::sync::LazyLock;

const CUES: &[&str] = &[
    "confidenti",
    "intended recipient",
    "intended solely",
    "addressee",
    "destinataire",
    "ce message",
    "ce courriel",
    "ce mail ",
    "ce e-mail",
    "cet e-mail",
    "cet email",
    "this e-mail",
    "this email",
    "this message",
    "avertissement",
    "disclaimer",
    "agreee amf",
    "agree amf",
    "agreee par l'amf",
    "agree par l'amf",
    "aupres de l'amf",
    "au capital de",
    "rcs ",
    "siren",
    "siret",
    "code des assurances",
    "code monetaire",
    "authorised and regulated",
    "authorized and regulated",
    "regulated by",
    "pensez a l'environnement",
    "the environment before",
    "n'imprimez",
    "before printing",
    "orias",
    "enregistre sous le n",
    "carte professionnelle",
    "societe de gestion de portefeuille",
    "privileged",
    "registered office",
    "siege social",
    "tva intracommunautaire",
    "vat number",
    "interdite",
    "prohibited",
];

static MATCHER: LazyLock<AhoCorasick> = LazyLock::new(|| ac(CUES));

/// A line of legal or regulatory text (confidentiality notice, AMF licence, share capital, RCS...).
pub fn is_legal_line(line: &str) -> bool {
    let f = fold(line);
    MATCHER.is_match(&f)
}

/// First line of the trailing disclaimer: the topmost of the last paragraphs whose first line is
/// legal text.
pub fn disclaimer_start(lines: &[&str]) -> Option<usize> {
    let paragraphs = paragraphs(lines);
    let mut start = None;
    for &(s, e) in paragraphs.iter().rev() {
        let first = lines[s].trim();
        let text_len: usize = lines[s..e].iter().map(|l| l.len()).sum();
        if is_legal_line(first) && (text_len > 60 || e - s > 1) {
            start = Some(s);
        } else {
            break;
        }
    }
    // never call the whole text a disclaimer
    match start {
        Some(0) | None => None,
        s => s,
    }
}

/// (start, end) of the blank-line-separated paragraphs.
pub fn paragraphs(lines: &[&str]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, l) in lines.iter().enumerate() {
        match (l.trim().is_empty(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, lines.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_trailing_disclaimer() {
        let lines = vec![
            "Cordialement,",
            "Jean",
            "",
            "Alizarine Gestion – Société de gestion agréée AMF sous le n° GP-07000045 – SAS au capital de 2 000 000 €",
            "Ce message et ses pièces jointes sont confidentiels.",
        ];
        assert_eq!(disclaimer_start(&lines), Some(3));
    }

    #[test]
    fn legal_lines_inside_a_signature_are_not_a_disclaimer() {
        let lines = vec![
            "Cordialement,",
            "",
            "Romain Tessaro",
            "Tessaro Courtage",
            "N° ORIAS : 14 005 812",
        ];
        assert_eq!(disclaimer_start(&lines), None);
    }
}
