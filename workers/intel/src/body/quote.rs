//! Where the quoted or forwarded history starts: `>` lines and the reply headers of French,
//! English and German mail clients (Gmail, Outlook, Apple Mail, Thunderbird, Lotus Notes).

use crate::text::fold;
use crate::text::re;
use regex::Regex;
use std::sync::LazyLock;

static SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^[\s_*-]*(-{2,}|_{2,}|={2,}|\*{2,})?\s*(original message|message d'origine|message original|forwarded message|message transfere|messages? transfere|ursprungliche nachricht|weitergeleitete nachricht|mensaje original|messaggio originale)\s*:?\s*(-{2,}|_{2,}|={2,}|\*{2,})?[\s_*-]*$",
    )
});
static FORWARD_INTRO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(debut du message (reexpedie|transfere)|begin forwarded message|-+ ?forwarded by\b.*|anfang der weitergeleiteten nachricht)\s*:?$",
    )
});
static HEADER_FROM: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\*?(de|from|von|da|exp[ée]diteur)\s*\*?\s?:\s*\S"));
static HEADER_OTHER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\*?(envoye|sent|date|a|to|objet|subject|an|gesendet|betreff|cc|datum|destinataire|envoye le)\s*\*?\s?:",
    )
});
static WROTE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(le |on |am |el |il |op )?.{0,300}?\b(a ecrit|wrote|schrieb|escribio|ha scritto|schreef)\s*(\S+\s*){0,3}:\s*$",
    )
});
static NOTES_HEADER: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b\d{1,2}/\d{1,2}/\d{2,4}\s+\d{1,2}:\d{2}(:\d{2})?\s*(am|pm)?\s*$"));
static DEVICE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(envoye (de|depuis|a partir de) (mon|ma|l'application|un)\b.{0,40}|sent from (my )?.{1,40}|sent via .{1,40}|get outlook for \w+|obtenir outlook pour \w+|telechargez outlook pour \w+|envoye de mon \w+|envoye avec .{1,30}|von meinem .{1,30} gesendet|gesendet von meinem .{1,30})$",
    )
});

/// "Envoyé de mon iPhone", "Sent from my Galaxy", "Obtenir Outlook pour Android".
pub fn is_device_line(line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() || t.len() > 80 {
        return false;
    }
    DEVICE.is_match(fold(t).trim_end_matches('.'))
}

/// Index of the first line of the quoted history, if any.
pub fn quote_start(lines: &[&str]) -> Option<usize> {
    for i in 0..lines.len() {
        let t = lines[i].trim();
        if t.is_empty() {
            continue;
        }
        if t.starts_with('>') {
            // a "wrote:" line just above belongs to the quote
            return Some(wrote_line_above(lines, i).unwrap_or(i));
        }
        if t.len() > 400 {
            continue;
        }
        let f = fold(t);
        if SEPARATOR.is_match(&f) || FORWARD_INTRO.is_match(&f) {
            return Some(i);
        }
        if (t.starts_with("___") || t.starts_with("---"))
            && t.chars().all(|c| c == '_' || c == '-')
            && t.len() >= 10
        {
            // Outlook separator line followed by a header block
            if header_block_at(lines, i + 1) {
                return Some(i);
            }
            continue;
        }
        if HEADER_FROM.is_match(&f) && header_block_at(lines, i) {
            return Some(i);
        }
        if wrote_at(lines, i) {
            return Some(i);
        }
        if NOTES_HEADER.is_match(&f)
            && lines
                .iter()
                .skip(i + 1)
                .take(3)
                .any(|l| fold(l.trim()).starts_with("to:"))
        {
            // Lotus Notes: "Name@DOMAIN\n12/01/2000 08:00 AM\nTo: ..." (start at the name line)
            let start = if i > 0 && !lines[i - 1].trim().is_empty() {
                i - 1
            } else {
                i
            };
            return Some(start);
        }
    }
    None
}

fn wrote_line_above(lines: &[&str], i: usize) -> Option<usize> {
    let mut j = i;
    // skip blank lines just above
    while j > 0 && lines[j - 1].trim().is_empty() {
        j -= 1;
    }
    (j.saturating_sub(3)..j).find(|&k| wrote_at(lines, k))
}

/// "Le mar. 4 nov. 2025 à 11:02, X <x@y> a écrit :" possibly wrapped over up to three lines.
fn wrote_at(lines: &[&str], i: usize) -> bool {
    let first = fold(lines[i].trim());
    if !(first.starts_with("le ")
        || first.starts_with("on ")
        || first.starts_with("am ")
        || first.starts_with("el ")
        || first.starts_with("il ")
        || first.contains(" a ecrit")
        || first.contains(" wrote"))
    {
        return false;
    }
    let mut joined = String::new();
    for (k, l) in lines.iter().enumerate().skip(i).take(3) {
        if k > i {
            if l.trim().is_empty() {
                break;
            }
            joined.push(' ');
        }
        joined.push_str(&fold(l.trim()));
        if joined.len() < 500 && WROTE.is_match(&joined) {
            return true;
        }
    }
    false
}

/// At least two header lines ("De :", "Envoyé :", "À :", "Objet :"...) starting at `i`.
fn header_block_at(lines: &[&str], i: usize) -> bool {
    let mut from = false;
    let mut others = 0;
    for l in lines.iter().skip(i).take(7) {
        let f = fold(l.trim());
        if f.is_empty() {
            continue;
        }
        if HEADER_FROM.is_match(&f) {
            from = true;
        } else if HEADER_OTHER.is_match(&f) {
            others += 1;
        }
    }
    from && others >= 1 || others >= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(s: &str) -> Option<usize> {
        let lines: Vec<&str> = s.split('\n').collect();
        quote_start(&lines)
    }

    #[test]
    fn french_gmail_wrapped() {
        assert_eq!(
            start("Merci\n\nLe mar. 4 nov. 2025 à 11:02, Nathalie <\nn@x.fr> a écrit :\n> Bonjour"),
            Some(2)
        );
    }

    #[test]
    fn outlook_french_header_block() {
        assert_eq!(
            start(
                "OK\nJean\n\nDe : Julien <j@x.fr>\nEnvoyé : lundi 17 novembre 2025 16:48\nÀ : Odile\nObjet : Test"
            ),
            Some(3)
        );
    }

    #[test]
    fn english_and_german() {
        assert_eq!(
            start("Fine.\n\nOn Mon, 3 Nov 2025 at 10:00, Paul Smith <p@x.com> wrote:\n> hi"),
            Some(2)
        );
        assert_eq!(
            start("Gut.\n\n-----Original Message-----\nFrom: A\nSent: B"),
            Some(2)
        );
        assert_eq!(
            start("Gut.\n\nVon: Anna <a@b.de>\nGesendet: Montag\nAn: Paul\nBetreff: X"),
            Some(2)
        );
        assert_eq!(start("Bien.\n-----Message d'origine-----\nDe : A"), Some(1));
    }

    #[test]
    fn plain_text_has_no_quote() {
        assert_eq!(
            start("Bonjour,\nDe : mon côté tout va bien.\nCordialement"),
            None
        );
        assert_eq!(
            start("Le comité a écrit un rapport que je vous transmets."),
            None
        );
    }

    #[test]
    fn device_lines() {
        assert!(is_device_line("Envoyé de mon iPhone"));
        assert!(is_device_line("Sent from my iPad"));
        assert!(is_device_line("Obtenir Outlook pour Android"));
        assert!(!is_device_line("Envoyé : lundi"));
    }
}
