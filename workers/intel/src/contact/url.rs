//! Websites and LinkedIn profile URLs.

use crate::text::re;
use regex::Regex;
use std::sync::LazyLock;

static URL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b(?:https?://|www\.)[^\s<>"'|,;()\[\]]+|\b[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?)*\.(?:fr|com|net|org|eu|lu|ch|be|de|uk|io|co|info|biz|it|es|nl|pt|se|no|dk|fi|at|ie|us|ca|finance|bank|immo|paris|law|ai|app|pro|monaco|mc)\b(?:/[^\s<>"'|,;()\[\]]*)?"#,
    )
});

/// Whether two URLs name the same site and path: scheme, `www.`, case and a trailing slash aside
/// (`www.x.fr` and `https://x.fr/` are one website).
pub fn same_site(a: &str, b: &str) -> bool {
    fn key(u: &str) -> String {
        let l = u.to_lowercase();
        let l = l
            .strip_prefix("https://")
            .or_else(|| l.strip_prefix("http://"))
            .unwrap_or(&l);
        l.strip_prefix("www.")
            .unwrap_or(l)
            .trim_end_matches('/')
            .to_string()
    }
    key(a) == key(b)
}

/// Written with a scheme or `www.`.
pub fn is_explicit(u: &str) -> bool {
    let l = u.to_ascii_lowercase();
    l.starts_with("http") || l.starts_with("www.")
}

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
        let explicit = is_explicit(u);
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
    fn internationalised_domains_and_same_sites() {
        let f = find("orée-gestion.com");
        assert_eq!(f.first().map(|u| u.url.as_str()), Some("orée-gestion.com"));
        assert!(same_site("www.X.fr", "https://x.fr/"));
        assert!(!same_site("x.fr", "x.fr/contact"));
    }

    #[test]
    fn bare_domains_in_capitals() {
        let f = find("BoisDuNord.fr\natelier-lumen.com");
        let urls: Vec<&str> = f.iter().map(|u| u.url.as_str()).collect();
        assert_eq!(urls, vec!["BoisDuNord.fr", "atelier-lumen.com"]);
        assert!(find("A.B.FR").is_empty());
    }
}
