//! How expected and predicted values are compared (README of the eval data): names, titles and
//! companies case-insensitively with whitespace collapsed; addresses with whitespace (line breaks
//! included) collapsed; phones as E.164; emails lower-case; URLs without scheme and trailing `/`.

use crate::contact::phone;
use crate::text::collapse_ws;

pub fn text(s: Option<&str>) -> Option<String> {
    let t = collapse_ws(s?);
    let t = t
        .trim_matches(|c: char| matches!(c, ',' | '.' | ';' | ':' | ' '))
        .to_lowercase();
    (!t.is_empty()).then_some(t)
}

pub fn phone_e164(s: &str) -> String {
    phone::normalize(s).map_or_else(
        || {
            s.chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect()
        },
        |p| p.e164,
    )
}

pub fn phones(v: &[String]) -> Vec<String> {
    v.iter().map(|s| phone_e164(s)).collect()
}

pub fn emails(v: &[String]) -> Vec<String> {
    v.iter().map(|s| s.trim().to_lowercase()).collect()
}

pub fn url(s: &str) -> String {
    let l = s.trim().to_lowercase();
    let l = l
        .strip_prefix("https://")
        .or_else(|| l.strip_prefix("http://"))
        .unwrap_or(&l)
        .to_string();
    l.trim_end_matches('/').to_string()
}

pub fn urls(v: &[String]) -> Vec<String> {
    v.iter().map(|s| url(s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises() {
        assert_eq!(
            text(Some(" 3 place Gambetta\n56000  Vannes ")),
            Some("3 place gambetta 56000 vannes".to_string())
        );
        assert_eq!(phone_e164("01 99 00 23 41"), "+33199002341");
        assert_eq!(url("https://www.x.fr/"), "www.x.fr");
    }
}
