//! The shared evaluation data, when it sits beside the repository (`../shared/eval`): the targets
//! of the issue must hold. Skipped when the data is absent.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

#[test]
fn targets_on_shared_eval() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval");
    if !dir.join("intent/labels.csv").exists() {
        eprintln!("skipped: {} not found", dir.display());
        return;
    }
    let mut out = Vec::new();
    let r = intel::eval::run(&dir, &mut out).unwrap();
    let i = r.intent.unwrap();
    assert!(i.macro_f1 >= 0.90, "intent macro-F1 {}", i.macro_f1);
    let s = r.signatures_fr.unwrap();
    for (f, p) in &s.fields {
        let target = if f == "title" || f == "address" {
            0.80
        } else {
            0.90
        };
        if [
            "name", "company", "phones", "emails", "urls", "title", "address",
        ]
        .contains(&f.as_str())
        {
            assert!(p.f1() >= target, "{f} F1 {}", p.f1());
        }
    }
}
