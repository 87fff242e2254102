//! Message-ID extraction and normalisation, shared by Message-ID, In-Reply-To and References.
//!
//! A valid id is any `<...>` holding an `@` (the lenient reading IMAP servers such as Dovecot use);
//! whitespace inside is dropped (folded headers). Ids are stored without angle brackets, with the
//! domain part lower-cased (domains are case-insensitive and some gateways re-case them) and the local
//! part kept exactly as written.

/// Every valid Message-ID of a header value, in order (duplicates kept).
pub fn message_ids(value: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        if let Some(id) = normalise(&after[..close]) {
            ids.push(id);
        }
        rest = &after[close + 1..];
    }
    ids
}

/// The first valid Message-ID of a header value.
pub fn first_message_id(value: &str) -> Option<String> {
    message_ids(value).into_iter().next()
}

/// Normalise the inside of `<...>`: whitespace removed, domain lower-cased; `None` without an `@`
/// or with an empty side.
pub fn normalise(inner: &str) -> Option<String> {
    let compact: String = inner.chars().filter(|c| !c.is_whitespace()).collect();
    let at = compact.rfind('@')?;
    let (local, domain) = (&compact[..at], &compact[at + 1..]);
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    Some(format!("{local}@{}", domain.to_lowercase()))
}

/// Ids in order with later repeats removed.
pub fn dedup_in_order(ids: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_ids_in_order() {
        let v = " <a@X.org>\r\n\t<bad> junk <b @ Host.FR>  <c@d>";
        assert_eq!(message_ids(v), ["a@x.org", "b@host.fr", "c@d"]);
    }

    #[test]
    fn rejects_ids_without_at_or_unclosed() {
        assert!(message_ids("<abc> <@x> <y@> <z@w").is_empty());
        assert_eq!(first_message_id("foo"), None);
    }

    #[test]
    fn keeps_local_part_case() {
        assert_eq!(
            normalise("AbC@ExAmple.COM").as_deref(),
            Some("AbC@example.com")
        );
    }

    #[test]
    fn dedup_keeps_first_occurrence() {
        let ids = vec!["a@x".to_string(), "b@x".into(), "a@x".into()];
        assert_eq!(dedup_in_order(ids), ["a@x", "b@x"]);
    }
}
