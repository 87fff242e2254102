//! `cargo +nightly fuzz run analyze_message` (from workers/intel): any bytes given to the analyser
//! must produce an analysis, never a panic; the text entry point is exercised with the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let a = intel::analyze_message(data);
    assert!((0.0..=1.0).contains(&a.intent.confidence));
    // the CLI prints every analysis: its line must be built without failing
    let line = intel::cli::line_with("id", &serde_json::Value::Null, &a);
    assert!(line.starts_with("{\"id\":null"));
    let _ = intel::analyze_text(&String::from_utf8_lossy(data));
});
