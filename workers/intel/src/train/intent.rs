//! The intent model: trained on `train-data/intent/corpus.jsonl` (written by
//! `train-data/intent/generate.py`, pinned by checksum), 11 labels, grouped cross-validation.

use super::cv::{Scores, grouped_folds};
use super::{Mode, crate_dir, emit, read_pinned};
use crate::analysis::IntentLabel;
use crate::intent::model::{argmax, features};
use crate::model::calibrate::{ece, fit_temperature};
use crate::model::sgd::{self, Config};
use crate::model::{Linear, Sparse};
use anyhow::{Context, Result, bail};
use std::io::Write;

/// Checksum of the committed corpus; `generate.py` must reproduce it.
pub const CORPUS_SHA256: &str = "cf72b09a688b453ca7349ab060939f7bde45c3740bbbd8eef16c2a42b6175882";
pub const SEED: u64 = 14;
/// Share of the groups held out to fit the temperature: one fold of five.
const CALIBRATION_FOLDS: usize = 5;

pub fn config() -> Config {
    Config {
        epochs: 20,
        learning_rate: 0.5,
        l2: 1e-5,
        seed: SEED,
    }
}

pub struct Example {
    pub x: Sparse,
    pub y: usize,
    pub group: String,
    pub lang: String,
}

#[derive(serde::Deserialize)]
struct Record {
    lang: String,
    label: String,
    group: String,
    subject: String,
    text: String,
}

/// Read the corpus through the analyser's own text preparation.
pub fn load() -> Result<Vec<Example>> {
    let path = crate_dir().join("train-data/intent/corpus.jsonl");
    let bytes = read_pinned(&path, CORPUS_SHA256)?;
    let mut out = Vec::new();
    for (n, line) in String::from_utf8(bytes)?.lines().enumerate() {
        let r: Record = serde_json::from_str(line).with_context(|| format!("corpus line {}", n + 1))?;
        let Some(label) = IntentLabel::parse(&r.label) else {
            bail!("corpus line {}: unknown label {}", n + 1, r.label);
        };
        let view = crate::author_view(&r.text, &crate::SenderHints::default());
        let rules = crate::intent::score(&r.subject, &view.text);
        out.push(Example {
            x: features(&r.subject, &view.text, &rules),
            y: IntentLabel::ALL.iter().position(|l| *l == label).unwrap_or(0),
            group: r.group,
            lang: r.lang,
        });
    }
    Ok(out)
}

fn train_on(examples: &[&Example]) -> Linear {
    let xs: Vec<Sparse> = examples.iter().map(|e| e.x.clone()).collect();
    let ys: Vec<usize> = examples.iter().map(|e| e.y).collect();
    sgd::train(&xs, &ys, IntentLabel::ALL.len(), &config())
}

/// Weights from all `examples`; temperature fitted on a held-out fifth of their groups.
pub fn fit(examples: &[&Example]) -> Linear {
    let ys: Vec<usize> = examples.iter().map(|e| e.y).collect();
    let groups: Vec<String> = examples.iter().map(|e| e.group.clone()).collect();
    let folds = grouped_folds(&ys, &groups, CALIBRATION_FOLDS, SEED + 1);
    let (held, kept): (Vec<(usize, &&Example)>, Vec<(usize, &&Example)>) =
        examples.iter().enumerate().partition(|(i, _)| folds[*i] == 0);
    let part = train_on(&kept.into_iter().map(|(_, e)| *e).collect::<Vec<_>>());
    let logits: Vec<Vec<f32>> = held.iter().map(|(_, e)| part.logits(&e.x)).collect();
    let gold: Vec<usize> = held.iter().map(|(_, e)| e.y).collect();
    let mut m = train_on(examples);
    m.temperature = fit_temperature(&logits, &gold);
    m
}

pub struct CvReport {
    pub scores: Scores,
    pub ece: f64,
    pub by_lang: Vec<(String, Scores)>,
}

/// k-fold cross-validation with whole groups (core sentences) held out.
pub fn cross_validate(examples: &[Example], k: usize) -> CvReport {
    let ys: Vec<usize> = examples.iter().map(|e| e.y).collect();
    let groups: Vec<String> = examples.iter().map(|e| e.group.clone()).collect();
    let folds = grouped_folds(&ys, &groups, k, SEED);
    let mut pred = vec![0; examples.len()];
    let mut pairs = Vec::new();
    for f in 0..k {
        let train: Vec<&Example> = examples
            .iter()
            .enumerate()
            .filter(|(i, _)| folds[*i] != f)
            .map(|(_, e)| e)
            .collect();
        let m = fit(&train);
        for (i, e) in examples.iter().enumerate().filter(|(i, _)| folds[*i] == f) {
            let p = m.proba(&e.x);
            let b = argmax(&p);
            pred[i] = b;
            pairs.push((f64::from(p[b]), b == e.y));
        }
    }
    let mut by_lang = Vec::new();
    for lang in ["fr", "en"] {
        let idx: Vec<usize> = (0..examples.len()).filter(|i| examples[*i].lang == lang).collect();
        let g: Vec<usize> = idx.iter().map(|i| ys[*i]).collect();
        let p: Vec<usize> = idx.iter().map(|i| pred[*i]).collect();
        by_lang.push((lang.to_string(), Scores::new(&g, &p, IntentLabel::ALL.len())));
    }
    CvReport {
        scores: Scores::new(&ys, &pred, IntentLabel::ALL.len()),
        ece: ece(&pairs),
        by_lang,
    }
}

pub fn print_cv(r: &CvReport, n: usize, k: usize, out: &mut impl Write) -> Result<()> {
    writeln!(
        out,
        "Intent, {k}-fold cross-validation on the training corpus ({n} emails; each core sentence's emails held out together)"
    )?;
    writeln!(out, "{:<22} {:>9} {:>9} {:>9} {:>8}", "label", "precision", "recall", "F1", "support")?;
    for (l, p) in IntentLabel::ALL.iter().zip(&r.scores.per_class) {
        writeln!(
            out,
            "{:<22} {:>9.3} {:>9.3} {:>9.3} {:>8}",
            l.as_str(),
            p.precision(),
            p.recall(),
            p.f1(),
            p.support()
        )?;
    }
    writeln!(out, "{:<22} {:>29.3}", "macro-F1", r.scores.macro_f1())?;
    for (lang, s) in &r.by_lang {
        writeln!(out, "{:<22} {:>29.3}", format!("macro-F1 ({lang})"), s.macro_f1())?;
    }
    writeln!(out, "{:<22} {:>29.3}", "accuracy", r.scores.accuracy())?;
    writeln!(out, "{:<22} {:>29.3}", "calibration ECE", r.ece)?;
    Ok(())
}

/// Train on the whole corpus and write or check `models/intent.bin`.
pub fn run(mode: Mode) -> Result<()> {
    let ex = load()?;
    let all: Vec<&Example> = ex.iter().collect();
    let m = fit(&all);
    emit("intent.bin", &m.to_bytes(), mode)
}
