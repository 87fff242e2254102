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
        p.add(*g, *q);
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

/// Score blocks another extractor found (`{"id", "block"}` JSON lines, e.g. talon's) with the same
/// gold and line matching as ours; documents it has no line for count as "no block".
pub fn evaluate_peer(docs: &[Doc], blocks: &str) -> Result<(Prf, Prf)> {
    let mut by_id = std::collections::HashMap::new();
    for l in blocks.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(l)?;
        let id = v["id"].as_str().unwrap_or_default().to_string();
        by_id.insert(id, v["block"].as_str().map(str::to_string));
    }
    let (mut strict, mut with_names) = (Prf::default(), Prf::default());
    for d in docs {
        let block = by_id.get(&d.id).cloned().flatten();
        let pred = predicted_lines(&d.top, block.as_deref());
        score_doc(&signature_lines(d, false), &pred, &mut strict);
        score_doc(&signature_lines(d, true), &pred, &mut with_names);
    }
    Ok((strict, with_names))
}

/// The top messages a peer must read: `{"id", "top", "sender"}` JSON lines; the sender is the
/// `From:` address of the raw email beside the annotation, when there is one.
pub fn dump_tops(dir: &Path, out: &mut impl std::io::Write) -> Result<usize> {
    let docs = super::quagga::load_dir(dir)?;
    for d in &docs {
        let raw = std::fs::read_to_string(dir.join(&d.id)).unwrap_or_default();
        let sender = raw
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .find_map(|l| l.strip_prefix("From:"))
            .map(|s| s.trim().to_string());
        let rec = serde_json::json!({"id": d.id, "top": d.top, "sender": sender});
        writeln!(out, "{rec}")?;
    }
    Ok(docs.len())
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
