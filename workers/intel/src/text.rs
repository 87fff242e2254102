//! Small text helpers shared by the modules: accent folding, whitespace, word shapes.

use unicode_normalization::{UnicodeNormalization, is_nfc_quick};

/// Normalise a body: NFC, LF line ends, no-break and odd spaces to spaces, zero-width characters
/// removed, trailing spaces cut, typographic apostrophes to `'`.
pub fn normalize_body(text: &str) -> String {
    let nfc: std::borrow::Cow<'_, str> =
        if is_nfc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes {
            std::borrow::Cow::Borrowed(text)
        } else {
            std::borrow::Cow::Owned(text.nfc().collect())
        };
    let mut out = String::with_capacity(nfc.len());
    let mut chars = nfc.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\u{a0}' | '\u{2007}' | '\u{202f}' | '\u{2009}' | '\u{2002}' | '\u{2003}' | '\t'
            | '\u{3000}' => out.push(' '),
            '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}' | '\u{ad}' | '\u{200e}'
            | '\u{200f}' => {}
            '\u{2019}' | '\u{2018}' | '\u{02bc}' => out.push('\''),
            '\u{2028}' | '\u{2029}' | '\u{0b}' | '\u{0c}' => out.push('\n'),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    // trailing spaces
    let mut res = String::with_capacity(out.len());
    for (i, line) in out.split('\n').enumerate() {
        if i > 0 {
            res.push('\n');
        }
        res.push_str(line.trim_end());
    }
    res
}

/// Lower-case and strip diacritics of Latin letters, for matching (`É` → `e`, `œ` → `oe`). The
/// result is ASCII: letters of other scripts become `x`, other symbols a space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char(c, &mut out);
    }
    out
}

fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    let r = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'ā' | 'ą' => {
            "a"
        }
        'ç' | 'Ç' | 'ć' | 'č' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' | 'ē' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' | 'ń' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' | 'Ÿ' => "y",
        'œ' | 'Œ' => "oe",
        'æ' | 'Æ' => "ae",
        'ß' => "ss",
        'š' | 'Š' => "s",
        'ž' | 'Ž' => "z",
        'ł' | 'Ł' => "l",
        '\u{2019}' | '\u{2018}' => "'",
        '\u{2013}' | '\u{2014}' => "-",
        '«' | '»' | '\u{201c}' | '\u{201d}' => "\"",
        // other scripts and symbols: ASCII only, so that the regex engines stay on their fast paths
        c if c.is_alphabetic() => "x",
        c if c.is_numeric() => "0",
        _ => " ",
    };
    out.push_str(r);
}

/// Collapse runs of whitespace to one space and trim.
pub fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `Marc-Antoine`, `Élodie`, `O'Neil`, `McDonald`: an upper-case first letter then at least one
/// lower-case letter somewhere.
pub fn is_capitalized(w: &str) -> bool {
    let mut chars = w.chars();
    match chars.next() {
        Some(c) if c.is_uppercase() => {}
        _ => return false,
    }
    w.chars().any(|c| c.is_lowercase())
        && w.chars()
            .all(|c| c.is_alphabetic() || c == '-' || c == '\'' || c == '.')
}

/// `DELACROIX`, `LE BRAS`: all letters upper-case, at least two letters.
pub fn is_all_caps_word(w: &str) -> bool {
    let letters = w.chars().filter(|c| c.is_alphabetic()).count();
    letters >= 2 && w.chars().all(|c| c.is_uppercase() || c == '-' || c == '\'')
}

/// `J.` or `J` (an initial).
pub fn is_initial(w: &str) -> bool {
    let mut c = w.chars();
    matches!((c.next(), c.next(), c.next()), (Some(a), Some('.'), None) if a.is_uppercase())
}

/// Cut a string to at most `max` bytes on a char boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Keep the last `max` bytes of a string on a char boundary.
pub fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// Words of a line (letters, digits, `-`, `'`, `&`, `.` kept inside words).
pub fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '|' | '/' | '"')
    })
    .map(|w| w.trim_matches(|c: char| matches!(c, '.' | '!' | '?' | '«' | '»' | '*') && c != '&'))
    .filter(|w| !w.is_empty())
}

/// Compile a constant pattern of this crate. Every pattern is exercised by the unit tests, so a
/// failure here is a programming error found before release, never an input-dependent one.
/// Word boundaries are ASCII ones (`(?-u:\b)`): Unicode boundaries make the fast engines give up
/// on non-ASCII text, and the matched texts are folded to ASCII anyway.
#[expect(
    clippy::expect_used,
    reason = "tests: a panic with its message is the failure report"
)]
pub fn re(pattern: &str) -> regex::Regex {
    regex::Regex::new(&pattern.replace(r"\b", r"(?-u:\b)")).expect("constant regex of crm-intel")
}

/// Aho-Corasick matcher over constant patterns (leftmost-first, ASCII case-insensitive).
#[expect(
    clippy::expect_used,
    reason = "tests: a panic with its message is the failure report"
)]
pub fn ac(patterns: &[&str]) -> aho_corasick::AhoCorasick {
    aho_corasick::AhoCorasickBuilder::new()
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .ascii_case_insensitive(true)
        .build(patterns)
        .expect("constant patterns of crm-intel")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_and_case() {
        assert_eq!(fold("Désinscription À ŒUVRE"), "desinscription a oeuvre");
    }

    #[test]
    fn normalizes_crlf_and_nbsp() {
        assert_eq!(normalize_body("a\u{a0}b  \r\nc\rd"), "a b\nc\nd");
    }

    #[test]
    fn word_shapes() {
        assert!(is_capitalized("Marc-Antoine"));
        assert!(!is_capitalized("DELACROIX"));
        assert!(is_all_caps_word("DELACROIX"));
        assert!(is_initial("J."));
    }

    #[test]
    fn truncation_on_boundaries() {
        assert_eq!(truncate("éé", 3), "é");
        assert_eq!(tail("éé", 3), "é");
    }
}
