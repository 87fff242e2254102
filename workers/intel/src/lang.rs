//! Language of the author's text (fr, en or other) from function words.

use crate::analysis::Language;
use crate::text::fold;

const FR: &[&str] = &[
    "le",
    "la",
    "les",
    "de",
    "des",
    "du",
    "et",
    "est",
    "un",
    "une",
    "je",
    "vous",
    "nous",
    "pour",
    "pas",
    "que",
    "qui",
    "dans",
    "sur",
    "avec",
    "merci",
    "bonjour",
    "au",
    "aux",
    "ce",
    "cette",
    "mon",
    "ma",
    "mes",
    "votre",
    "vos",
    "notre",
    "nos",
    "sont",
    "mais",
    "ou",
    "suis",
    "avez",
    "avons",
    "cordialement",
    "madame",
    "monsieur",
    "ne",
    "plus",
    "tres",
    "bien",
    "il",
    "elle",
    "par",
    "en",
    "son",
    "sa",
    "ses",
    "leur",
    "si",
    "a",
    "y",
];
const EN: &[&str] = &[
    "the", "and", "is", "are", "to", "of", "in", "for", "you", "we", "i", "our", "your", "with",
    "on", "be", "this", "that", "it", "please", "thanks", "thank", "regards", "hello", "hi",
    "dear", "would", "could", "will", "have", "has", "not", "from", "at", "as", "my", "me", "us",
    "an", "or", "do", "if", "can", "best",
];
const OTHER: &[&str] = &[
    "der", "die", "das", "und", "ist", "nicht", "mit", "ich", "sie", "wir", "el", "los", "las",
    "y", "es", "por", "para", "con", "una", "il", "gli", "che", "di", "per", "sono", "non", "een",
    "het", "van", "zijn", "ik", "niet", "och", "att", "jag", "inte", "det", "och",
];

/// Detect the language of a text (only its first 4 KB are read).
pub fn detect(text: &str) -> Language {
    let f = fold(crate::text::truncate(text, 4096));
    let (mut fr, mut en, mut other) = (0usize, 0usize, 0usize);
    for w in f.split(|c: char| !c.is_alphanumeric() && c != '\'') {
        let w = w.trim_matches('\'');
        let w = w.split('\'').next_back().unwrap_or(w);
        if w.is_empty() {
            continue;
        }
        if FR.contains(&w) {
            fr += 1;
        }
        if EN.contains(&w) {
            en += 1;
        }
        if OTHER.contains(&w) {
            other += 1;
        }
    }
    if fr == 0 && en == 0 && other == 0 {
        // no function word: accents are a hint of French
        return if text.chars().any(|c| "éèêàçùœ".contains(c)) {
            Language::Fr
        } else {
            Language::Other
        };
    }
    if other > fr && other > en {
        Language::Other
    } else if fr >= en {
        Language::Fr
    } else {
        Language::En
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects() {
        assert_eq!(
            detect("Bonjour, pourriez-vous m'envoyer le DIC ?"),
            Language::Fr
        );
        assert_eq!(
            detect("Could you send us the latest factsheet?"),
            Language::En
        );
        assert_eq!(
            detect("Können Sie mir bitte die Unterlagen schicken? Ich danke Ihnen und wir sind"),
            Language::Other
        );
        assert_eq!(detect("STOP"), Language::Other);
        assert_eq!(detect("Désinscription svp"), Language::Fr);
    }
}
