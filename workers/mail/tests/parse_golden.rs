//! Golden parse cases: `fixtures/parse/<case>.eml` must parse to its insta snapshot
//! (`snapshots/parse_golden__fixtures_parse_as_expected_lf_and_crlf@<case>.eml.snap`, every field but
//! `size`), and the same message with CRLF line endings to the same value. Review changes with
//! `cargo insta review`.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use mail::parse_message;
use serde_json::Value;

fn view(raw: &[u8]) -> Value {
    let mut v = serde_json::to_value(parse_message(raw, 1 << 20)).unwrap();
    let obj = v.as_object_mut().unwrap();
    obj.remove("size");
    if let Some(Value::String(text)) = obj.get_mut("text") {
        *text = text.replace("\r\n", "\n");
    }
    v
}

#[test]
fn fixtures_parse_as_expected_lf_and_crlf() {
    let mut count = 0;
    insta::glob!("fixtures/parse/*.eml", |path| {
        count += 1;
        let lf = std::fs::read(path).unwrap();
        let parsed = view(&lf);
        insta::assert_json_snapshot!(parsed);
        let crlf = String::from_utf8_lossy(&lf).replace('\n', "\r\n");
        if std::str::from_utf8(&lf).is_ok() {
            assert_eq!(view(crlf.as_bytes()), parsed, "{} (CRLF)", path.display());
        }
    });
    assert!(count >= 5);
}
