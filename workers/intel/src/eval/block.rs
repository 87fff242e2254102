//! Signature-block lines on Quagga's `eval/` split: which lines of the top message (the text before
//! the first quoted header) are the signature. Gold: non-blank lines overlapping a `Body/Signature`
//! span (the block and its parts: name, position, organisation, phones, address, disclaimer), and
//! in a second reading also the sender's name under a closing formula (`Body/Outro/Name`); the
//! closing formula itself is not signature. Predicted: the lines of `signature.block` when the
//! analyser reads that top message as text. Micro-averaged line P/R/F1.

use super::metrics::Prf;
use super::quagga::{Doc, lines, signature_lines};
use crate::text::collapse_ws;
use anyhow::Result;
use std::path::Path;

/// Which lines of `top` the block covers: block lines matched in order to the top's lines
/// (whitespace collapsed on both sides, as the analyser normalises spaces).
pub fn predicted_lines(top: &str, block: Option<&str>) -> Vec<bool> {
    let ls = lines(top);
    let mut out = vec![false; ls.len()];
    let Some(block) = block else { return out };
    let mut from = 0;
    for b in block.lines().map(collapse_ws).filter(|b| !b.is_empty()) {
        if let Some(k) =
            (from..ls.len()).find(|k| collapse_ws(&ls[*k].2.replace('\u{a0}', " ")) == b)
        {
            out[k] = true;
            from = k + 1;
        }
    }
    out
}

/// Line P/R/F1 of one document.
pub fn score_doc(gold: &[bool], pred: &[bool], p: &mut Prf) {
    for (g, q) in gold.iter().zip(pred) {
        match (g, q) {
            (true, true) => p.tp += 1,
            (false, true) => p.fp += 1,
            (true, false) => p.fn_ += 1,
            _ => {}
        }
    }
}

/// Scores with the block alone as gold, and with sign-off names too.
pub fn evaluate_docs(docs: &[Doc]) -> (Prf, Prf) {
    let (mut strict, mut with_names) = (Prf::default(), Prf::default());
    for d in docs {
        let a = crate::analyze_text(&d.top);
        let pred = predicted_lines(&d.top, a.signature.block.as_deref());
        score_doc(&signature_lines(d, false), &pred, &mut strict);
        score_doc(&signature_lines(d, true), &pred, &mut with_names);
    }
    (strict, with_names)
}

pub fn evaluate(dir: &Path) -> Result<(Prf, Prf, usize)> {
    let docs = super::quagga::load_dir(dir)?;
    let (a, b) = evaluate_docs(&docs);
    Ok((a, b, docs.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_lines_are_matched_in_order_with_spaces_collapsed() {
        let top = "Hi Bob,\nsee below.\n\nJohn  Smith\nVP\u{a0}Sales\r\nAcme\n";
        let p = predicted_lines(top, Some("John Smith\nVP Sales\nAcme"));
        assert_eq!(p, vec![false, false, false, true, true, true]);
        assert_eq!(predicted_lines(top, None), vec![false; 6]);
    }

    #[test]
    fn micro_counts() {
        let mut p = Prf::default();
        score_doc(&[true, true, false], &[true, false, true], &mut p);
        assert_eq!((p.tp, p.fp, p.fn_), (1, 1, 1));
    }
}
