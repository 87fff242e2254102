//! The request detector: trained on Parakweet's `train.tsv` (copied with its Apache-2.0 licence to
//! `train-data/requests/`, pinned by checksum); threshold chosen by stratified cross-validation.

use super::{Mode, crate_dir, emit, read_pinned};
use crate::eval::metrics::Prf;
use crate::intent::request::features;
use crate::model::calibrate::{ece, fit_temperature};
use crate::model::sgd::{self, Config, folds};
use crate::model::{Linear, Sparse};
use anyhow::{Result, bail};
use std::io::Write;

pub const DATA_SHA256: &str = "1dafc1b367cf2fb1e8b4a944b67e14578bcb1085f2f02ea150be45c373fbe8cd";
pub const SEED: u64 = 15;
pub const FOLDS: usize = 5;

pub fn config() -> Config {
    Config {
        epochs: 15,
        learning_rate: 0.5,
        l2: 1e-5,
        seed: SEED,
    }
}

pub fn load() -> Result<(Vec<Sparse>, Vec<usize>)> {
    let path = crate_dir().join("train-data/requests/parakweet-train.tsv");
    let text = String::from_utf8(read_pinned(&path, DATA_SHA256)?)?;
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate() {
        let Some((label, sentence)) = line.split_once('\t') else {
            bail!("train.tsv line {}: no tab", n + 1);
        };
        let y = match label.trim() {
            "Yes" => 1,
            "No" => 0,
            other => bail!("train.tsv line {}: label {other:?}", n + 1),
        };
        xs.push(features(sentence));
        ys.push(y);
    }
    Ok((xs, ys))
}

fn train_on(xs: &[Sparse], ys: &[usize]) -> Linear {
    sgd::train(xs, ys, 2, &config())
}

/// Weights from all examples, temperature from a held-out fifth.
fn fit(xs: &[Sparse], ys: &[usize]) -> Linear {
    let f = folds(ys, 5, SEED + 1);
    let pick = |keep: bool| -> (Vec<Sparse>, Vec<usize>) {
        (0..ys.len())
            .filter(|i| (f[*i] == 0) != keep)
            .map(|i| (xs[i].clone(), ys[i]))
            .unzip()
    };
    let (kx, ky) = pick(true);
    let (hx, hy) = pick(false);
    let part = train_on(&kx, &ky);
    let logits: Vec<Vec<f32>> = hx.iter().map(|x| part.logits(x)).collect();
    let mut m = train_on(xs, ys);
    m.temperature = fit_temperature(&logits, &hy);
    m
}

pub struct CvReport {
    pub threshold: f32,
    pub prf: Prf,
    pub prf_at_half: Prf,
    pub ece: f64,
    pub n: usize,
}

fn prf_at(probs: &[f32], ys: &[usize], t: f32) -> Prf {
    let mut p = Prf::default();
    for (q, y) in probs.iter().zip(ys) {
        p.add(*y == 1, *q >= t);
    }
    p
}

/// Out-of-fold probabilities, the threshold that maximises their F1, and the scores at it.
pub fn cross_validate(xs: &[Sparse], ys: &[usize]) -> CvReport {
    let f = folds(ys, FOLDS, SEED);
    let mut probs = vec![0f32; ys.len()];
    for k in 0..FOLDS {
        let (tx, ty): (Vec<Sparse>, Vec<usize>) = (0..ys.len())
            .filter(|i| f[*i] != k)
            .map(|i| (xs[i].clone(), ys[i]))
            .unzip();
        let m = fit(&tx, &ty);
        for i in (0..ys.len()).filter(|i| f[*i] == k) {
            probs[i] = m.proba(&xs[i])[1];
        }
    }
    let mut best = (0.0, 0.5f32);
    for step in 20..=80 {
        let t = step as f32 / 100.0;
        let f1 = prf_at(&probs, ys, t).f1();
        if f1 > best.0 {
            best = (f1, t);
        }
    }
    let pairs: Vec<(f64, bool)> = probs
        .iter()
        .zip(ys)
        .map(|(q, y)| {
            let yes = *q >= 0.5;
            let conf = if yes { *q } else { 1.0 - q };
            (f64::from(conf), yes == (*y == 1))
        })
        .collect();
    CvReport {
        threshold: best.1,
        prf: prf_at(&probs, ys, best.1),
        prf_at_half: prf_at(&probs, ys, 0.5),
        ece: ece(&pairs),
        n: ys.len(),
    }
}

pub fn print_cv(r: &CvReport, out: &mut impl Write) -> Result<()> {
    writeln!(
        out,
        "Requests (English sentences), {FOLDS}-fold cross-validation on Parakweet train.tsv ({} sentences)",
        r.n
    )?;
    writeln!(
        out,
        "{:<22} {:>9} {:>9} {:>9}",
        "threshold", "precision", "recall", "F1"
    )?;
    for (t, p) in [(r.threshold, r.prf), (0.5, r.prf_at_half)] {
        writeln!(
            out,
            "{:<22} {:>9.3} {:>9.3} {:>9.3}",
            format!("{t:.2}"),
            p.precision(),
            p.recall(),
            p.f1()
        )?;
    }
    writeln!(out, "{:<22} {:>9.3}", "calibration ECE", r.ece)?;
    Ok(())
}

/// Cross-validate (to choose the threshold), train on everything, write or check the model.
pub fn run(mode: Mode, out: &mut impl Write) -> Result<()> {
    let (xs, ys) = load()?;
    let cv = cross_validate(&xs, &ys);
    print_cv(&cv, out)?;
    let mut m = fit(&xs, &ys);
    m.threshold = cv.threshold;
    emit("requests.bin", &m.to_bytes(), mode)
}
