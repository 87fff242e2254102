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

pub const LINES_SHA256: &str = "babf5e625b3b120910f33a75c3bc5e9315b38500db1a31d18c650acb7f045fd3";
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

/// A labelled non-blank line of an ending.
pub struct Line {
    pub x: Sparse,
    pub y: usize,
    pub ending: usize,
}

#[derive(serde::Deserialize)]
struct Record {
    group: usize,
    lines: Vec<(String, String)>,
}

pub fn load() -> Result<Vec<Line>> {
    let path = crate_dir().join("train-data/signature/lines.jsonl");
    let text = String::from_utf8(read_pinned(&path, LINES_SHA256)?)?;
    let mut out = Vec::new();
    for (n, l) in text.lines().enumerate() {
        let r: Record =
            serde_json::from_str(l).with_context(|| format!("lines.jsonl line {}", n + 1))?;
        let texts: Vec<&str> = r.lines.iter().map(|(t, _)| t.as_str()).collect();
        let feats = line_features(&texts);
        for ((_, label), x) in r.lines.iter().zip(feats) {
            if label == "blank" {
                continue;
            }
            let Some(y) = CLASSES.iter().position(|c| c == label) else {
                bail!("lines.jsonl line {}: unknown class {label}", n + 1);
            };
            out.push(Line {
                x,
                y,
                ending: r.group,
            });
        }
    }
    Ok(out)
}

fn train_on(lines: &[&Line]) -> Linear {
    let xs: Vec<Sparse> = lines.iter().map(|l| l.x.clone()).collect();
    let ys: Vec<usize> = lines.iter().map(|l| l.y).collect();
    sgd::train(&xs, &ys, CLASSES.len(), &config())
}

/// Weights from every line, temperature from one ending in five held out.
pub fn fit(lines: &[&Line]) -> Linear {
    let (held, kept): (Vec<&Line>, Vec<&Line>) = lines.iter().partition(|l| l.ending % 5 == 0);
    let part = train_on(&kept);
    let logits: Vec<Vec<f32>> = held.iter().map(|l| part.logits(&l.x)).collect();
    let gold: Vec<usize> = held.iter().map(|l| l.y).collect();
    let mut m = train_on(lines);
    m.temperature = fit_temperature(&logits, &gold);
    m
}

pub struct CvReport {
    pub scores: Scores,
    pub block: Prf,
    pub n: usize,
}

/// Folds by ending (ending number modulo the fold count after a seeded shuffle is not needed: the
/// generator draws every ending independently).
pub fn cross_validate(lines: &[Line]) -> CvReport {
    let mut pred = vec![0; lines.len()];
    for f in 0..FOLDS {
        let train: Vec<&Line> = lines.iter().filter(|l| l.ending % FOLDS != f).collect();
        let m = fit(&train);
        for (i, l) in lines.iter().enumerate() {
            if l.ending % FOLDS == f {
                pred[i] = crate::intent::model::argmax(&m.proba(&l.x));
            }
        }
    }
    let ys: Vec<usize> = lines.iter().map(|l| l.y).collect();
    let mut block = Prf::default();
    for (g, p) in ys.iter().zip(&pred) {
        match (is_signature_class(*g), is_signature_class(*p)) {
            (true, true) => block.tp += 1,
            (false, true) => block.fp += 1,
            (true, false) => block.fn_ += 1,
            _ => {}
        }
    }
    CvReport {
        scores: Scores::new(&ys, &pred, CLASSES.len()),
        block,
        n: lines.len(),
    }
}

pub fn print_cv(r: &CvReport, out: &mut impl Write) -> Result<()> {
    writeln!(
        out,
        "Signature lines, {FOLDS}-fold cross-validation on generated endings ({} lines; endings held out whole)",
        r.n
    )?;
    writeln!(
        out,
        "{:<22} {:>9} {:>9} {:>9} {:>8}",
        "line class", "precision", "recall", "F1", "support"
    )?;
    for (c, p) in CLASSES.iter().zip(&r.scores.per_class) {
        writeln!(
            out,
            "{:<22} {:>9.3} {:>9.3} {:>9.3} {:>8}",
            c,
            p.precision(),
            p.recall(),
            p.f1(),
            p.support()
        )?;
    }
    writeln!(
        out,
        "{:<22} {:>9.3} {:>9.3} {:>9.3} {:>8}",
        "block lines",
        r.block.precision(),
        r.block.recall(),
        r.block.f1(),
        r.block.support()
    )?;
    Ok(())
}

pub fn run(mode: Mode, out: &mut impl Write) -> Result<()> {
    let lines = load()?;
    if mode == Mode::Write {
        print_cv(&cross_validate(&lines), out)?;
    }
    let all: Vec<&Line> = lines.iter().collect();
    emit("signature.bin", &fit(&all).to_bytes(), mode)
}
