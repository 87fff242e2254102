//! Websites and LinkedIn profile URLs.

use crate::text::re;
use regex::Regex;
use std::sync::LazyLock;

static URL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b(?:https?://|www\.)[^\s<>"'|,;()\[\]]+|\b[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.(?:fr|com|net|org|eu|lu|ch|be|de|uk|io|co|info|biz|it|es|nl|pt|se|no|dk|fi|at|ie|us|ca|finance|bank|immo|paris|law|ai|app|pro|monaco|mc)\b(?:/[^\s<>"'|,;()\[\]]*)?"#,
    )
});

/// A URL found in text.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundUrl {
    pub start: usize,
    pub end: usize,
    pub url: String,
    pub linkedin: bool,
}

/// URLs in order of appearance: explicit (`https://`, `www.`) or bare domains with a common TLD.
/// Domains of email addresses and file names are not URLs.
pub fn find(text: &str) -> Vec<FoundUrl> {
    let mut out: Vec<FoundUrl> = Vec::new();
    for m in URL.find_iter(text) {
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        if matches!(before, Some('@' | '.' | '-' | '_' | '/'))
            || before.is_some_and(char::is_alphanumeric)
        {
            continue;
        }
        if matches!(after, Some('@')) {
            continue;
        }
        let u = m
            .as_str()
            .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '>']);
        if u.len() < 4 {
            continue;
        }
        let lower = u.to_ascii_lowercase();
        let explicit = lower.starts_with("http") || lower.starts_with("www.");
        // a bare domain must look like one: a lower-case top-level domain and no one-letter label
        // (not an abbreviation such as "S.A."); the host may be written in capitals
        // ("BoisDuNord.fr")
        if !explicit && !is_bare_domain(u) {
            continue;
        }
        let linkedin = lower.contains("linkedin.com/");
        if !out.iter().any(|f| f.url.eq_ignore_ascii_case(u)) {
            out.push(FoundUrl {
                start: m.start(),
                end: m.start() + u.len(),
                url: u.to_string(),
                linkedin,
            });
        }
    }
    out
}

fn is_bare_domain(u: &str) -> bool {
    let host = u.split('/').next().unwrap_or(u);
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| l.chars().count() >= 2)
        && labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_linkedin() {
        let f = find(
            "W : ondine-multigestion.com\nL : linkedin.com/in/camilleroussel\nmail a.b@c-d.fr https://www.x.fr/.",
        );
        let urls: Vec<_> = f.iter().map(|u| (u.url.as_str(), u.linkedin)).collect();
        assert_eq!(
            urls,
            vec![
                ("ondine-multigestion.com", false),
                ("linkedin.com/in/camilleroussel", true),
                ("https://www.x.fr/", false)
            ]
        );
    }

    #[test]
    fn not_abbreviations_or_files() {
        assert!(find("Moselle Fund Services S.A. Nov23.doc").is_empty());
    }

    #[test]
    fn bare_domains_in_capitals() {
        let f = find("BoisDuNord.fr\natelier-lumen.com");
        let urls: Vec<&str> = f.iter().map(|u| u.url.as_str()).collect();
        assert_eq!(urls, vec!["BoisDuNord.fr", "atelier-lumen.com"]);
        assert!(find("A.B.FR").is_empty());
    }
}
