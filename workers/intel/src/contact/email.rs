//! Email addresses.

use crate::text::re;
use regex::Regex;
use std::sync::LazyLock;

/// Letters and digits of any script: internationalised addresses (RFC 6531 local parts, IDN
/// domains such as `orée-gestion.com`) are read whole instead of from their first ASCII letter on.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"[\p{L}\p{N}][\p{L}\p{N}._%+'\-]*@[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?)*\.\p{L}{2,24}",
    )
});

/// Email addresses in order of appearance, without duplicates (case-insensitive).
pub fn find(text: &str) -> Vec<(usize, usize, String)> {
    let mut out: Vec<(usize, usize, String)> = Vec::new();
    for m in EMAIL.find_iter(text) {
        let e = m.as_str().trim_end_matches('.');
        if !out.iter().any(|(_, _, x)| x.eq_ignore_ascii_case(e)) {
            out.push((m.start(), m.start() + e.len(), e.to_string()));
        }
    }
    out
}

pub fn find_all(text: &str) -> Vec<String> {
    find(text).into_iter().map(|(_, _, e)| e).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_addresses() {
        assert_eq!(
            super::find_all("E : camille.roussel@ondine-multigestion.com | m.rey@reyfils-fo.ch."),
            vec![
                "camille.roussel@ondine-multigestion.com",
                "m.rey@reyfils-fo.ch"
            ]
        );
    }

    #[test]
    fn internationalised_addresses_are_read_whole() {
        assert_eq!(
            super::find_all("étienne.baxter@tilia-am.fr, v.delahaye@orée-gestion.com"),
            vec!["étienne.baxter@tilia-am.fr", "v.delahaye@orée-gestion.com"]
        );
    }
}
