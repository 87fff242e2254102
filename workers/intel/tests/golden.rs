//! Golden tests: every `fixtures/<case>.eml` is analysed, with LF and with CRLF line endings, and
//! compared with its insta snapshot in `snapshots/` (language, intent label and signature fields).
//! Review changes with `cargo insta review`.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use serde_json::{Value, json};
use std::path::PathBuf;

fn fixtures() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    v.sort();
    assert!(v.len() >= 6, "fixtures missing in {}", dir.display());
    v
}

fn summary(raw: &[u8]) -> Value {
    let a = intel::analyze_message(raw);
    let v = serde_json::to_value(&a).unwrap();
    let s = &v["signature"];
    json!({
        "language": v["language"],
        "intent": v["intent"]["label"],
        "signature": {
            "name": s["name"], "title": s["title"], "company": s["company"], "phones": s["phones"],
            "emails": s["emails"], "urls": s["urls"], "linkedin": s["linkedin"], "address": s["address"],
        }
    })
}

#[test]
fn fixtures_match_expected_with_lf_and_crlf() {
    assert!(fixtures().len() >= 6);
    insta::glob!("fixtures/*.eml", |eml| {
        let lf = std::fs::read(eml).unwrap();
        let lf: Vec<u8> = String::from_utf8(lf)
            .unwrap()
            .replace("\r\n", "\n")
            .into_bytes();
        let crlf: Vec<u8> = String::from_utf8(lf.clone())
            .unwrap()
            .replace('\n', "\r\n")
            .into_bytes();
        let summary_lf = summary(&lf);
        insta::assert_json_snapshot!(summary_lf);
        assert_eq!(summary(&crlf), summary_lf, "{} (CRLF)", eml.display());
    });
}

#[test]
fn confidences_are_in_range_and_keys_are_stable() {
    for eml in fixtures() {
        let a = intel::analyze_message(&std::fs::read(&eml).unwrap());
        assert!((0.0..=1.0).contains(&a.intent.confidence));
        assert!((0.0..=1.0).contains(&a.signature.overall_confidence));
        let v = serde_json::to_value(&a).unwrap();
        for k in ["language", "intent", "signature", "entities", "keywords"] {
            assert!(v.get(k).is_some(), "{k}");
        }
        for k in ["label", "confidence", "source"] {
            assert!(v["intent"].get(k).is_some(), "intent.{k}");
        }
        for k in [
            "block", "name", "title", "company", "phones", "emails", "urls", "linkedin", "address",
        ] {
            assert!(v["signature"].get(k).is_some(), "signature.{k}");
        }
        assert_eq!(v["intent"]["source"], "rules");
    }
}
