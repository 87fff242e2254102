//! The tuning report of `ops/eval --report FILE` / `workers eval --report FILE`: per-label and
//! per-field scores, the intent confusion matrix and the errors, with every letter and digit of
//! the examples masked (shape kept) so the report can be shared even when run on real mail.

use super::EvalReport;
use crate::analysis::IntentLabel;
use std::io::Write;

/// Letters become `x`/`X`, digits `9`; punctuation, spaces and length stay.
pub fn mask(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                '9'
            } else if c.is_uppercase() {
                'X'
            } else if c.is_alphabetic() || c.is_numeric() {
                'x'
            } else {
                c
            }
        })
        .collect()
}

/// Confusion matrix (gold rows, predicted columns) from per-label true positives and the errors.
pub fn confusion(r: &super::intent::IntentReport) -> Vec<Vec<usize>> {
    let idx = |l: &str| IntentLabel::ALL.iter().position(|x| x.as_str() == l);
    let n = IntentLabel::ALL.len();
    let mut m = vec![vec![0; n]; n];
    for (l, p) in &r.per_label {
        if let Some(i) = idx(l) {
            m[i][i] = p.tp;
        }
    }
    for (_, g, p) in &r.errors {
        if let (Some(i), Some(j)) = (idx(g), idx(p)) {
            m[i][j] += 1;
        }
    }
    m
}

pub fn write(rep: &EvalReport, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "# crm-intel {} tuning report\n",
        crate::ANALYZER_VERSION
    )?;
    if let Some(r) = &rep.intent {
        writeln!(
            out,
            "## Intent ({} emails): macro-F1 {:.3}, accuracy {:.3}, ECE {:.3}\n",
            r.n, r.macro_f1, r.accuracy, r.ece
        )?;
        let short: Vec<String> = IntentLabel::ALL
            .iter()
            .map(|l| l.as_str().chars().take(8).collect())
            .collect();
        writeln!(
            out,
            "Confusion matrix (rows: expected, columns: predicted)\n"
        )?;
        writeln!(out, "| expected \\ predicted | {} |", short.join(" | "))?;
        writeln!(out, "|---|{}", "---:|".repeat(short.len()))?;
        for (l, row) in IntentLabel::ALL.iter().zip(confusion(r)) {
            let cells: Vec<String> = row.iter().map(usize::to_string).collect();
            writeln!(out, "| {} | {} |", l.as_str(), cells.join(" | "))?;
        }
        writeln!(out, "\nMisclassified files\n")?;
        for (f, g, p) in &r.errors {
            writeln!(out, "- {f}: expected {g}, got {p}")?;
        }
    }
    for (title, s) in [
        ("French signature endings", &rep.signatures_fr),
        ("Quagga eval/ signatures", &rep.signatures_en_quagga),
    ] {
        let Some(s) = s else { continue };
        writeln!(out, "\n## {title} ({} texts)\n", s.n)?;
        writeln!(
            out,
            "| field | precision | recall | F1 | support |\n|---|---:|---:|---:|---:|"
        )?;
        for (f, p) in &s.fields {
            writeln!(
                out,
                "| {f} | {:.3} | {:.3} | {:.3} | {} |",
                p.precision(),
                p.recall(),
                p.f1(),
                p.support()
            )?;
        }
        writeln!(out, "\nErrors (letters and digits masked)\n")?;
        for (id, f, g, p) in &s.errors {
            writeln!(out, "- {id} {f}: expected `{}`, got `{}`", mask(g), mask(p))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_shape_and_hides_every_letter_and_digit() {
        let m = mask("Élodie Martin-Roy, +33 6 12 34 56 78 é@x.fr");
        assert_eq!(m, "Xxxxxx Xxxxxx-Xxx, +99 9 99 99 99 99 x@x.xx");
        assert!(
            !m.chars()
                .any(|c| c.is_alphanumeric() && !matches!(c, 'x' | 'X' | '9'))
        );
    }
}
