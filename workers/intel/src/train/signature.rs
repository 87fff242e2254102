//! The signature line model: trained on `train-data/signature/lines.jsonl` (written by
//! `train-data/signature/generate.py`, pinned by checksum), cross-validated by whole endings.

use super::cv::Scores;
use super::{Mode, crate_dir, emit, read_pinned};
use crate::eval::metrics::Prf;
use crate::model::calibrate::fit_temperature;
use crate::model::sgd::{self, Config};
use crate::model::{Linear, Sparse};
use crate::signature::model::{CLASSES, is_signature_class, line_features};
use anyhow::{Context, Result, bail};
use std::io::Write;

pub const LINES_SHA256: &str = "8c8d287c994bc97eaebd12d901753c6ff5d6230b3df26e2da4aef669a0c145fb";
/// `train-data/signature/quagga-train.jsonl`: the top messages and spans of Quagga's `train/` split
/// (MIT, see `LICENSE-quagga`), written by `train-signature --import-quagga DIR`.
pub const QUAGGA_SHA256: &str = "826182d1ca1407ba50f59fdff01c2c843bfacfde7b9acee4bf120d271ec9b7a2";
pub const SEED: u64 = 41;
pub const FOLDS: usize = 5;

pub fn config() -> Config {
    Config {
        epochs: 10,
        learning_rate: 0.5,
        l2: 1e-5,
        seed: SEED,
    }
}

/// A labelled non-blank line of an ending (generated endings, then Quagga emails numbered after them).
pub struct Line {
    pub x: Sparse,
    pub y: usize,
    pub ending: usize,
    pub quagga: bool,
}

const QUAGGA_FILE: &str = "train-data/signature/quagga-train.jsonl";

/// Write the compact copy of Quagga's `train/` split the trainer reads.
pub fn import_quagga(dir: &std::path::Path) -> Result<()> {
    let docs = crate::eval::quagga::load_dir(dir)?;
    let mut out = String::new();
    for d in &docs {
        let rec = serde_json::json!({"id": d.id, "top": d.top, "spans": d.spans});
        out.push_str(&rec.to_string());
        out.push('\n');
    }
    let path = crate_dir().join(QUAGGA_FILE);
    std::fs::write(&path, &out)?;
    eprintln!(
        "wrote {} ({} emails) sha256 {}",
        path.display(),
        docs.len(),
        super::sha256_hex(out.as_bytes())
    );
    Ok(())
}

#[derive(serde::Deserialize)]
struct QuaggaRecord {
    id: String,
    top: String,
    spans: Vec<(usize, usize, String)>,
}

/// Quagga's annotated emails as labelled lines, numbered from `first_ending`.
pub fn load_quagga(first_ending: usize) -> Result<Vec<Line>> {
    let text = String::from_utf8(read_pinned(&crate_dir().join(QUAGGA_FILE), QUAGGA_SHA256)?)?;
    let mut out = Vec::new();
    for (n, l) in text.lines().enumerate() {
        let r: QuaggaRecord =
            serde_json::from_str(l).with_context(|| format!("{QUAGGA_FILE} line {}", n + 1))?;
        let d = crate::eval::quagga::Doc {
            id: r.id,
            top: r.top,
            spans: r.spans,
        };
        let classes = crate::eval::quagga::line_classes(&d);
        let lines: Vec<&str> = crate::eval::quagga::lines(&d.top)
            .into_iter()
            .map(|(_, _, t)| t)
            .collect();
        let from = lines
            .len()
            .saturating_sub(crate::signature::model::MAX_LINES);
        let feats = line_features(&lines[from..]);
        for (c, x) in classes[from..].iter().zip(feats) {
            let Some(c) = c else { continue };
            let y = CLASSES.iter().position(|k| k == c).unwrap_or(0);
            out.push(Line {
                x,
                y,
                ending: first_ending + n,
                quagga: true,
            });
        }
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
struct Record {
    group: usize,
    lines: Vec<(String, String)>,
    /// The fields written in the ending (the gold of the field-level cross-validation).
    fields: crate::eval::signature::Gold,
    /// Endings sharing a job title share this fold.
    vocab_fold: usize,
}

fn records() -> Result<Vec<Record>> {
    let path = crate_dir().join("train-data/signature/lines.jsonl");
    let text = String::from_utf8(read_pinned(&path, LINES_SHA256)?)?;
    text.lines()
        .enumerate()
        .map(|(n, l)| {
            serde_json::from_str(l).with_context(|| format!("lines.jsonl line {}", n + 1))
        })
        .collect()
}

/// Generated endings and Quagga's emails.
pub fn load() -> Result<Vec<Line>> {
    let mut lines = load_generated()?;
    let next = lines.iter().map(|l| l.ending + 1).max().unwrap_or(0);
    lines.extend(load_quagga(next)?);
    Ok(lines)
}

pub fn load_generated() -> Result<Vec<Line>> {
    let mut out = Vec::new();
    for r in records()? {
        let texts: Vec<&str> = r.lines.iter().map(|(t, _)| t.as_str()).collect();
        let feats = line_features(&texts);
        for ((_, label), x) in r.lines.iter().zip(feats) {
            if label == "blank" {
                continue;
            }
            let Some(y) = CLASSES.iter().position(|c| c == label) else {
                bail!("lines.jsonl ending {}: unknown class {label}", r.group);
            };
            out.push(Line {
                x,
                y,
                ending: r.group,
                quagga: false,
            });
        }
    }
    Ok(out)
}

/// Field-level cross-validation of the whole extraction on generated endings: folds by job title
/// (a fold's titles are never in its training lines), Quagga always in training; each held-out
/// ending goes through `analyze_text` with the fold's model in place of the embedded one.
pub fn field_cross_validate(lines: &[Line]) -> Result<crate::eval::signature::SignatureReport> {
    let recs = records()?;
    let fold_of: std::collections::HashMap<usize, usize> =
        recs.iter().map(|r| (r.group, r.vocab_fold)).collect();
    let mut items = Vec::new();
    for f in 0..FOLDS {
        let train: Vec<&Line> = lines
            .iter()
            .filter(|l| l.quagga || fold_of.get(&l.ending) != Some(&f))
            .collect();
        let m = fit(&train);
        crate::signature::model::with_model(m, || {
            for r in recs.iter().filter(|r| r.vocab_fold == f) {
                let text: Vec<&str> = r.lines.iter().map(|(t, _)| t.as_str()).collect();
                let sig = crate::analyze_text(&text.join("\n")).signature;
                items.push((format!("ending-{}", r.group), r.fields.clone(), sig));
            }
        });
    }
    Ok(crate::eval::signature::score(
        &items,
        &["name", "title", "company", "phones", "emails", "urls"],
    ))
}

pub fn print_fields(
    r: &crate::eval::signature::SignatureReport,
    out: &mut impl Write,
) -> Result<()> {
    crate::eval::print_sig(
        out,
        &format!(
            "Signature fields, {FOLDS}-fold over generated endings by job title ({} endings; whole extraction)",
            r.n
        ),
        r,
    )?;
    let mut micro = Prf::default();
    for (_, p) in &r.fields {
        micro.tp += p.tp;
        micro.fp += p.fp;
        micro.fn_ += p.fn_;
    }
    writeln!(out, "{:<22} {:>29.3}\n", "micro-F1 (6 fields)", micro.f1())?;
    Ok(())
}

fn train_on(lines: &[&Line]) -> Linear {
    let xs: Vec<Sparse> = lines.iter().map(|l| l.x.clone()).collect();
    let ys: Vec<usize> = lines.iter().map(|l| l.y).collect();
    sgd::train(&xs, &ys, CLASSES.len(), &config())
}

/// Weights from every line, temperature from one ending in five held out.
pub fn fit(lines: &[&Line]) -> Linear {
    // calibration endings: independent of the folds (ending % FOLDS)
    let (held, kept): (Vec<&Line>, Vec<&Line>) = lines
        .iter()
        .partition(|l| (l.ending / FOLDS).is_multiple_of(5));
    let part = train_on(&kept);
    let logits: Vec<Vec<f32>> = held.iter().map(|l| part.logits(&l.x)).collect();
    let gold: Vec<usize> = held.iter().map(|l| l.y).collect();
    let mut m = train_on(lines);
    m.temperature = fit_temperature(&logits, &gold);
    m
}

/// Scores of one evaluation: per line class, and signature vs not (block lines).
pub struct Part {
    pub title: String,
    pub scores: Scores,
    pub block: Prf,
    pub n: usize,
}

fn part(title: String, gold: &[usize], pred: &[usize]) -> Part {
    let mut block = Prf::default();
    for (g, p) in gold.iter().zip(pred) {
        block.add(is_signature_class(*g), is_signature_class(*p));
    }
    Part {
        title,
        scores: Scores::new(gold, pred, CLASSES.len()),
        block,
        n: gold.len(),
    }
}

fn predict(m: &Linear, lines: &[&Line]) -> Vec<usize> {
    lines
        .iter()
        .map(|l| crate::intent::model::argmax(&m.proba(&l.x)))
        .collect()
}

/// Three views: k-fold over generated endings (they share the generator's word lists, so this one
/// is optimistic); the model trained on generated endings only, scored on Quagga's real emails
/// (another domain: the honest check of the generator); and k-fold over Quagga's emails with every
/// generated ending in training (what the shipped model is).
pub fn cross_validate(lines: &[Line]) -> Vec<Part> {
    let generated: Vec<&Line> = lines.iter().filter(|l| !l.quagga).collect();
    let quagga: Vec<&Line> = lines.iter().filter(|l| l.quagga).collect();
    let all: Vec<&Line> = lines.iter().collect();
    let (gold, pred) = k_fold(&generated, &generated);
    let mut parts = vec![part(
        format!("{FOLDS}-fold over generated endings (endings held out whole)"),
        &gold,
        &pred,
    )];
    let m = fit(&generated);
    let g: Vec<usize> = quagga.iter().map(|l| l.y).collect();
    parts.push(part(
        "trained on generated endings only, scored on Quagga train/ (real English mail)".into(),
        &g,
        &predict(&m, &quagga),
    ));
    let (gold, pred) = k_fold(&all, &quagga);
    parts.push(part(
        format!("{FOLDS}-fold over Quagga train/ emails, generated endings always in training"),
        &gold,
        &pred,
    ));
    parts
}

/// Out-of-fold predictions for `scored`: each fold's model is trained on `pool` without that
/// fold's endings (lines of `pool` outside `scored` always train).
fn k_fold(pool: &[&Line], scored: &[&Line]) -> (Vec<usize>, Vec<usize>) {
    let in_scored = |l: &Line| scored.first().is_some_and(|s| s.quagga == l.quagga);
    let (mut gold, mut pred) = (Vec::new(), Vec::new());
    for f in 0..FOLDS {
        let train: Vec<&Line> = pool
            .iter()
            .copied()
            .filter(|l| !in_scored(l) || l.ending % FOLDS != f)
            .collect();
        let test: Vec<&Line> = scored
            .iter()
            .copied()
            .filter(|l| l.ending % FOLDS == f)
            .collect();
        let m = fit(&train);
        gold.extend(test.iter().map(|l| l.y));
        pred.extend(predict(&m, &test));
    }
    (gold, pred)
}

pub fn print_cv(parts: &[Part], out: &mut impl Write) -> Result<()> {
    for p in parts {
        writeln!(out, "Signature lines, {} ({} lines)", p.title, p.n)?;
        writeln!(
            out,
            "{:<22} {:>9} {:>9} {:>9} {:>8}",
            "line class", "precision", "recall", "F1", "support"
        )?;
        for (c, s) in CLASSES.iter().zip(&p.scores.per_class) {
            if s.support() == 0 && s.fp == 0 {
                continue;
            }
            writeln!(
                out,
                "{:<22} {:>9.3} {:>9.3} {:>9.3} {:>8}",
                c,
                s.precision(),
                s.recall(),
                s.f1(),
                s.support()
            )?;
        }
        writeln!(
            out,
            "{:<22} {:>9.3} {:>9.3} {:>9.3} {:>8}\n",
            "block lines",
            p.block.precision(),
            p.block.recall(),
            p.block.f1(),
            p.block.support()
        )?;
    }
    Ok(())
}

pub fn run(mode: Mode, out: &mut impl Write) -> Result<()> {
    let lines = load()?;
    if mode == Mode::Write {
        print_cv(&cross_validate(&lines), out)?;
        print_fields(&field_cross_validate(&lines)?, out)?;
    }
    let all: Vec<&Line> = lines.iter().collect();
    emit("signature.bin", &fit(&all).to_bytes(), mode)
}
