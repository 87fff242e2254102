//! Where the sender's signature block is in the author's own lines: after the last closing formula
//! ("Cordialement", "Bien à vous", "Best regards"...), after a `-- ` delimiter, or else the trailing
//! lines that look like a signature.

use crate::text::{fold, re};
use regex::Regex;
use std::sync::LazyLock;

/// Lines of a signature block kept at most.
pub const MAX_BLOCK_LINES: usize = 16;
/// How far from the end a closing formula is looked for (non-blank lines).
const CLOSING_WINDOW: usize = 20;

static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"^(?:",
        r"(?:bien |tres |tres bien |bien a vous,? |sinceres? )?cordialement|cdl?t|cordt|slts|bav",
        r"|bien (?:a vous|a toi|amicalement|sincerement)|(?:tres )?amicalement|amities|bises",
        r"|(?:sinceres |meilleures |bien sinceres |mes sinceres |mes meilleures |nos meilleures |nos sinceres )?salutations(?: distinguees| cordiales| respectueuses| les meilleures)?",
        r"|avec (?:mes|nos|toutes mes|tous mes) (?:meilleures? |sinceres )?(?:salutations|remerciements|amities|respects|sentiments)",
        r"|(?:recevez|veuillez|je vous prie|nous vous prions|dans l'attente|en l'attente).{0,220}(?:salutations|sentiments|consideration|respect|meilleures|distinguees|devoues)[^a-z]*",
        r"|bonne? (?:journee|fin de journee|soiree|fin de soiree|semaine|fin de semaine|continuation|reception|lecture|week-end|weekend|apres-midi|fetes|annee|vacances)(?: a (?:vous|toi|tous))?",
        r"|belle (?:journee|soiree|semaine|fin de journee)|excellente (?:journee|soiree|semaine)",
        r"|bon (?:week-end|weekend|apres-midi|courage|dimanche)",
        r"|merci(?: beaucoup| bien| infiniment| encore| a vous| a toi| d'avance| par avance| et bonne (?:journee|soiree|fin de journee|semaine)| pour tout| de votre (?:retour|reponse|aide|comprehension|confiance|attention)| pour votre (?:retour|reponse|aide(?: precieuse)?|comprehension|confiance|attention))?",
        r"|mille mercis|en vous remerciant(?: (?:par avance|d'avance|pour votre (?:retour|aide|reponse|confiance)))?",
        r"|(?:je vous|nous vous) remercions?(?: (?:par avance|d'avance))?(?: (?:pour|de) votre (?:retour|aide|reponse|confiance|attention))?",
        r"|respectueusement|a (?:bientot|tres vite|tres bientot|plus|\+|demain|lundi|votre disposition)|a\+|\+\+",
        r"|au plaisir(?: (?:de |d')(?:vous lire|vous revoir|echanger(?: avec vous)?|vous rencontrer|travailler ensemble|vous parler|en discuter))?",
        r"|(?:restant|je reste|nous restons|je me tiens|nous nous tenons) a (?:votre|ta|vos) (?:entiere )?(?:disposition|ecoute)(?: pour .{0,60})?",
        r"|vous en souhaitant (?:bonne reception|une bonne (?:journee|lecture))",
        r"|(?:best|kind|warm|warmest|kindest|with kind|with best|with warm|many thanks and (?:best|kind)|thanks and (?:best|kind)|all the best|best wishes|warm wishes|with thanks and) ?(?:regards|wishes)?",
        r"|regards|cheers|thanks|thank you|many thanks|thanks again|thanks in advance|thx|sincerely|yours sincerely|yours faithfully|yours truly|sincerely yours|respectfully|talk soon|speak soon|take care",
        r"|season'?s greetings|(?:bonnes|joyeuses) fetes(?: de fin d'annee)?|meilleurs voeux",
        r"|mit freundlichen grussen|freundliche grusse|viele grusse|beste grusse|herzliche grusse|gruss|mfg|lg",
        r"|un grand merci|encore merci|merci encore",
        r")(?:\s*(?:,|\.|!|;|…|\.\.\.))*\s*(?:/.{0,40})?$"
    ))
});

static DELIMITER: LazyLock<Regex> = LazyLock::new(|| re(r"^(--|—|__|-- |-{2,3}|_{2,3})\s*$"));

/// The closing formula that ends a message body, if the line is one.
pub fn is_closing(line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() || t.chars().count() > 260 {
        return false;
    }
    CLOSING.is_match(&fold(t))
}

/// "-- " and similar delimiters.
pub fn is_delimiter(line: &str) -> bool {
    DELIMITER.is_match(line.trim_end_matches(' ').trim_start())
}

/// How the block was found (a measure of how sure we are that it is a signature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Closing,
    Delimiter,
    Trailing,
}

/// A located block: line range `[start, end)` of the own lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    pub start: usize,
    pub end: usize,
    pub anchor: Anchor,
    /// Index of the closing-formula line, if any.
    pub closing: Option<usize>,
}

/// Locate the signature block in the author's own lines.
pub fn locate(lines: &[String]) -> Option<Located> {
    let end = lines.len();
    if end == 0 {
        return None;
    }
    // closing formula: the last one within the last CLOSING_WINDOW non-blank lines
    let mut seen = 0;
    let mut closing = None;
    for i in (0..end).rev() {
        if lines[i].trim().is_empty() {
            continue;
        }
        seen += 1;
        if seen > CLOSING_WINDOW {
            break;
        }
        if is_closing(&lines[i]) {
            closing = Some(i);
            break;
        }
        if is_delimiter(&lines[i]) {
            // a delimiter below the closing formula is part of the block; keep looking up for the
            // closing only a few lines
            if closing.is_none() {
                let above = (i.saturating_sub(4)..i)
                    .rev()
                    .find(|&k| is_closing(&lines[k]));
                let start = above.map_or(i + 1, |k| k + 1);
                return non_empty(lines, start, end, Anchor::Delimiter, above);
            }
        }
    }
    if let Some(c) = closing {
        return non_empty(lines, c + 1, end, Anchor::Closing, Some(c));
    }
    trailing(lines)
}

fn non_empty(
    lines: &[String],
    mut start: usize,
    mut end: usize,
    anchor: Anchor,
    closing: Option<usize>,
) -> Option<Located> {
    while start < end && lines[start].trim().is_empty() {
        start += 1;
    }
    while end > start && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    if start >= end {
        return None;
    }
    // a closing formula with a whole letter after it is not a sign-off: limit the block
    let mut count = 0;
    let mut cut = end;
    for (i, l) in lines.iter().enumerate().take(end).skip(start) {
        if !l.trim().is_empty() {
            count += 1;
        }
        if count > MAX_BLOCK_LINES {
            cut = i;
            break;
        }
    }
    Some(Located {
        start,
        end: cut,
        anchor,
        closing,
    })
}

/// Does a line look like part of a signature (short, not a sentence)?
pub fn is_signature_like(line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() {
        return false;
    }
    let n = t.chars().count();
    let has_contact = t.contains('@') || t.bytes().filter(u8::is_ascii_digit).count() >= 8;
    if has_contact && n <= 120 && t.split_whitespace().count() <= 10 {
        return true;
    }
    if n > 80 {
        return false;
    }
    let words = t.split_whitespace().count();
    let sentence_end = t.ends_with('.') || t.ends_with('?') || t.ends_with('!') || t.ends_with(':');
    if sentence_end && words >= 4 {
        return false;
    }
    if t.ends_with('?') {
        return false;
    }
    if words <= 12
        && !sentence_end
        && (super::fields::title_score(t) >= 2.0
            || super::address::cue(t) >= super::address::AddressCue::PostcodeCity)
    {
        return true;
    }
    // prose: many lower-case words
    let lower_words = t
        .split_whitespace()
        .filter(|w| w.chars().next().is_some_and(char::is_lowercase))
        .count();
    words <= 10 && lower_words * 2 <= words + 2
}

fn is_greeting(line: &str) -> bool {
    let f = fold(line.trim());
    let first = f.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
    matches!(
        first,
        "bonjour"
            | "bonsoir"
            | "hello"
            | "hi"
            | "dear"
            | "cher"
            | "chere"
            | "chers"
            | "cheres"
            | "salut"
            | "madame"
            | "monsieur"
            | "mesdames"
            | "messieurs"
            | "hey"
    ) || (f.ends_with(',') && f.split_whitespace().count() <= 3 && !is_closing(line))
}

/// No closing formula: the trailing lines that look like a signature (possibly two paragraphs).
fn trailing(lines: &[String]) -> Option<Located> {
    let end = lines.len();
    let mut start = end;
    let mut blank_gaps = 0;
    let mut i = end;
    while i > 0 {
        let l = &lines[i - 1];
        if l.trim().is_empty() {
            // allow crossing one blank gap when the paragraph above is signature-like too
            let above = (0..i - 1)
                .rev()
                .take_while(|&k| !lines[k].trim().is_empty())
                .collect::<Vec<_>>();
            let para_ok = !above.is_empty()
                && above.len() <= 4
                && above
                    .iter()
                    .all(|&k| is_signature_like(&lines[k]) && !is_greeting(&lines[k]))
                && above.iter().any(|&k| has_contact_or_org(&lines[k]));
            if blank_gaps == 0 && para_ok && above.iter().all(|&k| k > 0) {
                blank_gaps += 1;
                i -= 1;
                continue;
            }
            break;
        }
        if !is_signature_like(l) || is_greeting(l) {
            break;
        }
        // the first line of a message is its greeting or its text, not a signature
        if i - 1 == 0 && end - start > 0 && lines.len() > 2 {
            break;
        }
        start = i - 1;
        i -= 1;
    }
    if start >= end {
        return None;
    }
    non_empty(lines, start, end, Anchor::Trailing, None)
}

fn has_contact_or_org(line: &str) -> bool {
    line.contains('@') || line.bytes().filter(u8::is_ascii_digit).count() >= 5
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.split('\n').map(str::to_string).collect()
    }

    #[test]
    fn closings() {
        for c in [
            "Cordialement,",
            "Bien cordialement",
            "Bien à vous,",
            "Kind regards / Cordialement,",
            "Best,",
            "A+",
            "Merci et bonne journée,",
            "Je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées.",
            "Dans l'attente de votre retour, je vous prie d'agréer mes salutations distinguées.",
            "Restant à votre écoute,",
            "Avec mes meilleures salutations,",
            "Season's greetings,",
        ] {
            assert!(is_closing(c), "{c}");
        }
        for c in [
            "Merci Baptiste, je vous rappelle demain.",
            "Je regarde ça et je te redis.",
            "Best regards to your team and see you in Paris next week when we meet",
        ] {
            assert!(!is_closing(c), "{c}");
        }
    }

    #[test]
    fn block_after_closing() {
        let l = lines("Bonjour,\n\nVoici.\n\nCordialement,\n\nJean Dupont\nDirecteur");
        assert_eq!(
            locate(&l),
            Some(Located {
                start: 6,
                end: 8,
                anchor: Anchor::Closing,
                closing: Some(4)
            })
        );
    }

    #[test]
    fn trailing_block_without_closing() {
        let l = lines("Bonjour,\n\nJe vous demande de corriger.\n\nJacques Moulin");
        assert_eq!(locate(&l).map(|b| (b.start, b.end)), Some((4, 5)));
        let l = lines("Merci Baptiste, je vous rappelle demain.\n\nJean Ferrière – 06 39 98 25 56");
        assert_eq!(locate(&l).map(|b| (b.start, b.end)), Some((2, 3)));
        let l = lines("Please unsubscribe me from your mailing list.");
        assert_eq!(locate(&l), None);
    }
}
