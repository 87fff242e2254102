//! The evaluation over `../shared/eval/`: intent P/R/F1 per label and macro-F1, and signature-field
//! P/R/F1, printed as a table.

pub mod block;
pub mod intent;
pub mod metrics;
pub mod normalize;
pub mod quagga;
pub mod report;
pub mod signature;

use anyhow::Result;
use std::io::Write;
use std::path::Path;

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct EvalReport {
    pub intent: Option<intent::IntentReport>,
    pub signatures_fr: Option<signature::SignatureReport>,
    pub signatures_en_quagga: Option<signature::SignatureReport>,
    /// Signature-block lines on Quagga's `eval/`: line P/R/F1 against the block, against the block
    /// and sign-off names, and the number of emails.
    pub block_lines: Option<(metrics::Prf, metrics::Prf, usize)>,
}

/// Run every evaluation whose data is present under `eval_dir` and print the tables to `out`.
pub fn run(eval_dir: &Path, mut out: impl Write) -> Result<EvalReport> {
    let mut rep = EvalReport::default();
    writeln!(
        out,
        "crm-intel {} — evaluation over {}",
        crate::ANALYZER_VERSION,
        eval_dir.display()
    )?;
    let idir = eval_dir.join("intent");
    if idir.join("labels.csv").exists() {
        let r = intent::evaluate(&idir)?;
        writeln!(out, "\nIntent ({} emails)", r.n)?;
        writeln!(
            out,
            "{:<22} {:>9} {:>9} {:>9} {:>8}",
            "label", "precision", "recall", "F1", "support"
        )?;
        for (l, p) in &r.per_label {
            writeln!(
                out,
                "{:<22} {:>9.3} {:>9.3} {:>9.3} {:>8}",
                l,
                p.precision(),
                p.recall(),
                p.f1(),
                p.support()
            )?;
        }
        writeln!(out, "{:<22} {:>29.3}", "macro-F1", r.macro_f1)?;
        writeln!(out, "{:<22} {:>29.3}", "accuracy", r.accuracy)?;
        writeln!(
            out,
            "{:<22} {:>29.3}",
            "language accuracy", r.language_accuracy
        )?;
        writeln!(out, "{:<22} {:>29.3}", "calibration ECE", r.ece)?;
        for (f, g, p) in &r.errors {
            writeln!(out, "  miss {f}: expected {g}, got {p}")?;
        }
        rep.intent = Some(r);
    }
    let fr = eval_dir.join("signatures-fr").join("signatures.jsonl");
    if fr.exists() {
        let r = signature::evaluate_fr(&fr)?;
        print_sig(
            &mut out,
            &format!("Signature fields, French endings ({} texts)", r.n),
            &r,
        )?;
        rep.signatures_fr = Some(r);
    }
    let q = eval_dir.join("signatures-en-quagga").join("eval");
    if q.exists() {
        let r = signature::evaluate_quagga(&q)?;
        print_sig(
            &mut out,
            &format!(
                "Signature fields, English Enron emails of Quagga eval/ ({} emails)",
                r.n
            ),
            &r,
        )?;
        rep.signatures_en_quagga = Some(r);
        let (b, named, n) = block::evaluate(&q)?;
        writeln!(
            out,
            "\nSignature-block lines, Quagga eval/ ({n} emails, top message)\n{:<34} {:>9} {:>9} {:>9} {:>8}",
            "gold", "precision", "recall", "F1", "support"
        )?;
        for (label, p) in [("block", &b), ("block + sign-off name", &named)] {
            writeln!(
                out,
                "{:<34} {:>9.3} {:>9.3} {:>9.3} {:>8}",
                label,
                p.precision(),
                p.recall(),
                p.f1(),
                p.support()
            )?;
        }
        rep.block_lines = Some((b, named, n));
    }
    Ok(rep)
}

/// A signature-field table (the dev sets here, the cross-validation in `train::signature`).
pub fn print_sig(out: &mut impl Write, title: &str, r: &signature::SignatureReport) -> Result<()> {
    writeln!(out, "\n{title}")?;
    writeln!(
        out,
        "{:<22} {:>9} {:>9} {:>9} {:>8}",
        "field", "precision", "recall", "F1", "support"
    )?;
    for (f, p) in &r.fields {
        writeln!(
            out,
            "{:<22} {:>9.3} {:>9.3} {:>9.3} {:>8}",
            f,
            p.precision(),
            p.recall(),
            p.f1(),
            p.support()
        )?;
    }
    writeln!(
        out,
        "{:<22} {:>29}",
        "all fields right",
        format!("{}/{}", r.all_right, r.n)
    )?;
    if std::env::var_os("INTEL_EVAL_VERBOSE").is_some() {
        for (id, f, g, p) in &r.errors {
            writeln!(out, "  {id} {f}: expected {g}, got {p}")?;
        }
    }
    Ok(())
}
