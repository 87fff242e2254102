//! Redis entries that name an erased subject: cached provider answers (the LLM cache holds the
//! signatures it read), enrichment results, job records' payloads and results. The keys are content
//! hashes, so they cannot be computed from the subject: the keys under the given patterns are scanned and
//! those whose value holds one of the subject's identifiers are removed (a string key is deleted, a hash
//! loses the fields that hold it). Cost is one pass over the cache per erasure batch.

use aho_corasick::AhoCorasick;
use redis::AsyncCommands;
use redis::aio::ConnectionLike;

use crate::subject::Identifiers;

/// Keys and hash fields removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    pub keys: usize,
    pub fields: usize,
}

/// Removes the values under `patterns` (`SCAN MATCH` globs) that contain one of `idents` (any case).
pub async fn purge<C: ConnectionLike + Clone + Send + Sync>(
    conn: &mut C,
    patterns: &[String],
    idents: &Identifiers,
) -> redis::RedisResult<Purged> {
    let needles: Vec<&String> = idents.all().filter(|v| v.len() >= 4).collect();
    let mut purged = Purged::default();
    if needles.is_empty() {
        return Ok(purged);
    }
    let Ok(matcher) = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(&needles)
    else {
        return Ok(purged);
    };
    for pattern in patterns {
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(1_000)
                .query_async(conn)
                .await?;
            for key in keys {
                let kind: String = redis::cmd("TYPE").arg(&key).query_async(conn).await?;
                match kind.as_str() {
                    "string" => {
                        let value: Option<Vec<u8>> = conn.get(&key).await?;
                        if value.is_some_and(|v| names_subject(&matcher, &v)) {
                            let _: () = conn.del(&key).await?;
                            purged.keys += 1;
                        }
                    }
                    "hash" => {
                        let fields: Vec<(String, Vec<u8>)> = conn.hgetall(&key).await?;
                        for (field, value) in fields {
                            if names_subject(&matcher, &value) {
                                let _: () = conn.hdel(&key, &field).await?;
                                purged.fields += 1;
                            }
                        }
                    }
                    _ => {}
                }
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    Ok(purged)
}

/// True when `value` holds an identifier (JSON escapes of non-ASCII are unescaped first).
fn names_subject(matcher: &AhoCorasick, value: &[u8]) -> bool {
    if matcher.is_match(value) {
        return true;
    }
    // JSON may write "é" as "\u00e9": compare its decoded text too.
    value.windows(2).any(|w| w == b"\\u")
        && std::str::from_utf8(value)
            .ok()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
            .is_some_and(|v| {
                matcher.is_match(v.to_string().as_bytes()) || json_text_matches(matcher, &v)
            })
}

fn json_text_matches(matcher: &AhoCorasick, v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => matcher.is_match(s),
        serde_json::Value::Array(a) => a.iter().any(|x| json_text_matches(matcher, x)),
        serde_json::Value::Object(o) => o.values().any(|x| json_text_matches(matcher, x)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]
    use super::*;

    #[test]
    fn matches_any_case_and_json_escapes() {
        let m = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["jeanne martin", "hélène"])
            .unwrap();
        assert!(names_subject(&m, b"{\"name\":\"Jeanne MARTIN\"}"));
        assert!(names_subject(&m, br#"{"name":"H\u00e9l\u00e8ne"}"#));
        assert!(!names_subject(&m, b"{\"name\":\"Paul\"}"));
    }
}
