//! The intent model: a sentence classifier trained on `train-data/intent/sentences.jsonl`, whose
//! per-message decision (see `intent::model`) is measured on `train-data/intent/corpus.jsonl`;
//! both written by `train-data/intent/generate.py` and pinned by checksum. Cross-validation holds
//! out whole groups (a core sentence with all its fillings and every email built on it).

use super::cv::{Scores, grouped_folds};
use super::{Mode, crate_dir, emit, read_pinned};
use crate::analysis::IntentLabel;
use crate::intent::model::{decide, label_scores, sentence_features, units};
use crate::model::calibrate::{ece, fit_temperature};
use crate::model::sgd::{self, Config};
use crate::model::{Linear, Sparse};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::io::Write;

/// Checksums of the committed corpora; `generate.py` must reproduce them.
pub const CORPUS_SHA256: &str = "fc045113ab916b3b1c526ea932f734b0e6e4d4bcfe57ff0bf7e69b54c09b5868";
pub const SENTENCES_SHA256: &str =
    "821b28c86980183418e1416442091a396b637719661430adfd2ee90b083dc623";
pub const SEED: u64 = 14;
/// One fifth of the groups is held out to fit the temperature.
const CALIBRATION_FOLDS: usize = 5;

pub fn config() -> Config {
    Config {
        epochs: 20,
        learning_rate: 0.5,
        l2: 1e-5,
        seed: SEED,
    }
}

/// A labelled sentence.
pub struct Sentence {
    pub x: Sparse,
    pub y: usize,
    pub group: String,
}

/// A labelled email, as the features of its units.
pub struct Email {
    pub units: Vec<Sparse>,
    pub y: usize,
    pub group: String,
    pub lang: String,
}

#[derive(serde::Deserialize)]
struct Record {
    lang: String,
    label: String,
    group: String,
    #[serde(default)]
    subject: String,
    text: String,
}

fn records(file: &str, sha256: &str) -> Result<Vec<(Record, usize)>> {
    let path = crate_dir().join("train-data/intent").join(file);
    let text = String::from_utf8(read_pinned(&path, sha256)?)?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let r: Record =
            serde_json::from_str(line).with_context(|| format!("{file} line {}", n + 1))?;
        let Some(i) = IntentLabel::ALL.iter().position(|l| l.as_str() == r.label) else {
            bail!("{file} line {}: unknown label {}", n + 1, r.label);
        };
        out.push((r, i));
    }
    Ok(out)
}

pub fn load_sentences() -> Result<Vec<Sentence>> {
    Ok(records("sentences.jsonl", SENTENCES_SHA256)?
        .into_iter()
        .map(|(r, y)| Sentence {
            x: sentence_features(&r.text),
            y,
            group: r.group,
        })
        .collect())
}

/// Emails read through the analyser's own text preparation.
pub fn load_emails() -> Result<Vec<Email>> {
    Ok(records("corpus.jsonl", CORPUS_SHA256)?
        .into_iter()
        .map(|(r, y)| {
            let view = crate::author_view(&r.text, &crate::SenderHints::default());
            Email {
                units: units(&r.subject, &view.text)
                    .iter()
                    .map(|u| sentence_features(u))
                    .collect(),
                y,
                group: r.group,
                lang: r.lang,
            }
        })
        .collect())
}

fn train_on(sentences: &[&Sentence]) -> Linear {
    let xs: Vec<Sparse> = sentences.iter().map(|e| e.x.clone()).collect();
    let ys: Vec<usize> = sentences.iter().map(|e| e.y).collect();
    sgd::train(&xs, &ys, IntentLabel::ALL.len(), &config())
}

/// Weights from all `sentences`; temperature fitted on a held-out fifth of their groups.
pub fn fit(sentences: &[&Sentence]) -> Linear {
    let ys: Vec<usize> = sentences.iter().map(|e| e.y).collect();
    let groups: Vec<String> = sentences.iter().map(|e| e.group.clone()).collect();
    let folds = grouped_folds(&ys, &groups, CALIBRATION_FOLDS, SEED + 1);
    let (held, kept): (Vec<_>, Vec<_>) = sentences
        .iter()
        .enumerate()
        .partition(|(i, _)| folds[*i] == 0);
    let part = train_on(&kept.into_iter().map(|(_, e)| *e).collect::<Vec<_>>());
    let logits: Vec<Vec<f32>> = held.iter().map(|(_, e)| part.logits(&e.x)).collect();
    let gold: Vec<usize> = held.iter().map(|(_, e)| e.y).collect();
    let mut m = train_on(sentences);
    m.temperature = fit_temperature(&logits, &gold);
    m
}

pub struct CvReport {
    pub threshold: f32,
    pub scores: Scores,
    pub ece: f64,
    pub by_lang: Vec<(String, Scores)>,
    pub n: usize,
}

/// Fold of every group (of sentences and emails alike).
fn fold_of_groups(sentences: &[Sentence], k: usize) -> BTreeMap<String, usize> {
    let ys: Vec<usize> = sentences.iter().map(|e| e.y).collect();
    let groups: Vec<String> = sentences.iter().map(|e| e.group.clone()).collect();
    let folds = grouped_folds(&ys, &groups, k, SEED);
    groups.into_iter().zip(folds).collect()
}

/// Decisions at one threshold from out-of-fold label scores.
fn evaluate(emails: &[Email], scores: &[Vec<f32>], t: f32) -> (Vec<usize>, Vec<(f64, bool)>) {
    let mut pred = Vec::new();
    let mut pairs = Vec::new();
    for (e, s) in emails.iter().zip(scores) {
        let (l, c) = decide(s, t);
        pred.push(l);
        pairs.push((f64::from(c), l == e.y));
    }
    (pred, pairs)
}

/// k-fold cross-validation: sentence models trained without the held-out groups decide the
/// held-out emails; the threshold is the one that maximises macro-F1 over the out-of-fold scores.
pub fn cross_validate(sentences: &[Sentence], emails: &[Email], k: usize) -> CvReport {
    let fold = fold_of_groups(sentences, k);
    let mut scores = vec![Vec::new(); emails.len()];
    for f in 0..k {
        let train: Vec<&Sentence> = sentences.iter().filter(|s| fold[&s.group] != f).collect();
        let m = fit(&train);
        for (i, e) in emails.iter().enumerate() {
            if fold.get(&e.group).copied().unwrap_or(0) == f {
                scores[i] = label_scores(&m, &e.units);
            }
        }
    }
    let ys: Vec<usize> = emails.iter().map(|e| e.y).collect();
    let k_labels = IntentLabel::ALL.len();
    let threshold = (30..=90)
        .map(|s| s as f32 / 100.0)
        .max_by(|a, b| {
            let fa = Scores::new(&ys, &evaluate(emails, &scores, *a).0, k_labels).macro_f1();
            let fb = Scores::new(&ys, &evaluate(emails, &scores, *b).0, k_labels).macro_f1();
            fa.total_cmp(&fb)
        })
        .unwrap_or(0.5);
    let (pred, pairs) = evaluate(emails, &scores, threshold);
    let mut by_lang = Vec::new();
    for lang in ["fr", "en"] {
        let idx: Vec<usize> = (0..emails.len())
            .filter(|i| emails[*i].lang == lang)
            .collect();
        let g: Vec<usize> = idx.iter().map(|i| ys[*i]).collect();
        let p: Vec<usize> = idx.iter().map(|i| pred[*i]).collect();
        by_lang.push((lang.to_string(), Scores::new(&g, &p, k_labels)));
    }
    CvReport {
        threshold,
        scores: Scores::new(&ys, &pred, k_labels),
        ece: ece(&pairs),
        by_lang,
        n: emails.len(),
    }
}

pub fn print_cv(r: &CvReport, k: usize, out: &mut impl Write) -> Result<()> {
    writeln!(
        out,
        "Intent, {k}-fold cross-validation on the training corpus ({} emails; each core sentence's emails and fillings held out together; threshold {:.2})",
        r.n, r.threshold
    )?;
    writeln!(
        out,
        "{:<22} {:>9} {:>9} {:>9} {:>8}",
        "label", "precision", "recall", "F1", "support"
    )?;
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
        writeln!(
            out,
            "{:<22} {:>29.3}",
            format!("macro-F1 ({lang})"),
            s.macro_f1()
        )?;
    }
    writeln!(out, "{:<22} {:>29.3}", "accuracy", r.scores.accuracy())?;
    writeln!(out, "{:<22} {:>29.3}", "calibration ECE", r.ece)?;
    Ok(())
}

/// Cross-validate (to choose the threshold), train on every sentence, write or check the model.
pub fn run(mode: Mode, out: &mut impl Write) -> Result<()> {
    let sentences = load_sentences()?;
    let emails = load_emails()?;
    let cv = cross_validate(&sentences, &emails, 5);
    print_cv(&cv, 5, out)?;
    let all: Vec<&Sentence> = sentences.iter().collect();
    let mut m = fit(&all);
    m.threshold = cv.threshold;
    emit("intent.bin", &m.to_bytes(), mode)
}
