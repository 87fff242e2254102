//! `cargo +nightly fuzz run analyze_message` (from workers/intel): any bytes given to the analyser
//! must produce an analysis, never a panic; the text entry point is exercised with the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let a = intel::analyze_message(data);
    assert!((0.0..=1.0).contains(&a.intent.confidence));
    let _ = serde_json_free_check(&a);
    let _ = intel::analyze_text(&String::from_utf8_lossy(data));
});

/// Serialising must not fail either (the CLI prints every analysis).
fn serde_json_free_check(a: &intel::Analysis) -> usize {
    format!("{a:?}").len()
}
