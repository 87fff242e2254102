//! Golden parse cases: `fixtures/parse/<case>.eml` must parse to `<case>.json` (every field but
//! `size`), with LF and with CRLF line endings. `BLESS=1` rewrites the JSON files.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::path::Path;

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
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parse");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        count += 1;
        let lf = std::fs::read(&path).unwrap();
        let json_path = path.with_extension("json");
        if std::env::var("BLESS").as_deref() == Ok("1") {
            std::fs::write(
                &json_path,
                serde_json::to_string_pretty(&view(&lf)).unwrap() + "\n",
            )
            .unwrap();
        }
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        assert_eq!(view(&lf), expected, "{} (LF)", path.display());
        let crlf = String::from_utf8_lossy(&lf).replace('\n', "\r\n");
        if lf.is_ascii() || std::str::from_utf8(&lf).is_ok() {
            assert_eq!(view(crlf.as_bytes()), expected, "{} (CRLF)", path.display());
        }
    }
    assert!(count >= 5);
}
