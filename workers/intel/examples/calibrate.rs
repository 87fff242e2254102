//! Recompute the intent confidence table: `cargo run -p crm-intel --example calibrate --
//! /work/shared/eval`. Prints, per decision tier, how many decisions were right on the
//! development set, the prior and the smoothed accuracy, then the `DEV_COUNTS` constant to paste
//! into `src/intent/calibration.rs`.

use intel::intent::calibration::{Tier, smoothed};

fn main() -> anyhow::Result<()> {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "../shared/eval".into()),
    );
    let r = intel::eval::intent::evaluate(&dir.join("intent"))?;
    println!(
        "{:<28} {:>7} {:>7} {:>7} {:>9}",
        "tier", "correct", "total", "prior", "smoothed"
    );
    let mut lines = Vec::new();
    for t in Tier::ALL {
        let (c, n) = r.tiers.get(t.name()).copied().unwrap_or((0, 0));
        println!(
            "{:<28} {:>7} {:>7} {:>7.2} {:>9.3}",
            t.name(),
            c,
            n,
            t.prior(),
            smoothed(c, n, t.prior())
        );
        if n > 0 {
            lines.push(format!("    (\"{}\", {c}, {n}),", t.name()));
        }
    }
    println!(
        "\npub const DEV_COUNTS: &[(&str, usize, usize)] = &[\n{}\n];",
        lines.join("\n")
    );
    Ok(())
}
