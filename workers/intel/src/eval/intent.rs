//! Intent evaluation over `intent/labels.csv` (`file,label,lang`).

use super::metrics::Prf;
use crate::analysis::{IntentLabel, Language};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IntentReport {
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub per_label: Vec<(String, Prf)>,
    pub language_accuracy: f64,
    /// tier → (correct, total): data for the confidence calibration.
    pub tiers: BTreeMap<String, (usize, usize)>,
    /// Expected calibration error over 5 confidence bins.
    pub ece: f64,
    pub errors: Vec<(String, String, String)>,
}

pub fn evaluate(dir: &Path) -> Result<IntentReport> {
    let csv = std::fs::read_to_string(dir.join("labels.csv"))
        .with_context(|| format!("reading {}/labels.csv", dir.display()))?;
    let mut per: BTreeMap<IntentLabel, Prf> = IntentLabel::ALL
        .iter()
        .map(|l| (*l, Prf::default()))
        .collect();
    let mut r = IntentReport::default();
    let (mut correct, mut lang_ok) = (0, 0);
    let mut bins = [(0.0f64, 0usize, 0usize); 5];
    for line in csv.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if cols.len() < 2 || cols[0].is_empty() {
            continue;
        }
        let gold =
            IntentLabel::parse(cols[1]).with_context(|| format!("unknown label {}", cols[1]))?;
        let raw =
            std::fs::read(dir.join(cols[0])).with_context(|| format!("reading {}", cols[0]))?;
        let a = crate::analyze_message(&raw);
        let pred = a.intent.label;
        r.n += 1;
        let ok = pred == gold;
        if ok {
            correct += 1;
            if let Some(p) = per.get_mut(&gold) {
                p.tp += 1;
            }
        } else {
            if let Some(p) = per.get_mut(&gold) {
                p.fn_ += 1;
            }
            if let Some(p) = per.get_mut(&pred) {
                p.fp += 1;
            }
            r.errors.push((
                cols[0].to_string(),
                gold.as_str().to_string(),
                pred.as_str().to_string(),
            ));
        }
        let t = r.tiers.entry(a.intent.tier.to_string()).or_insert((0, 0));
        t.1 += 1;
        if ok {
            t.0 += 1;
        }
        let b = ((a.intent.confidence * 5.0) as usize).min(4);
        bins[b].0 += a.intent.confidence;
        bins[b].1 += 1;
        bins[b].2 += usize::from(ok);
        if let Some(l) = cols.get(2) {
            let want = match *l {
                "fr" => Language::Fr,
                "en" => Language::En,
                _ => Language::Other,
            };
            lang_ok += usize::from(a.language == want);
        }
    }
    if r.n > 0 {
        r.accuracy = correct as f64 / r.n as f64;
        r.language_accuracy = lang_ok as f64 / r.n as f64;
        r.ece = bins
            .iter()
            .filter(|b| b.1 > 0)
            .map(|b| {
                (b.1 as f64 / r.n as f64) * ((b.0 / b.1 as f64) - (b.2 as f64 / b.1 as f64)).abs()
            })
            .sum();
    }
    r.per_label = per
        .iter()
        .map(|(l, p)| (l.as_str().to_string(), *p))
        .collect();
    let used: Vec<&Prf> = per
        .values()
        .filter(|p| p.support() > 0 || p.fp > 0)
        .collect();
    r.macro_f1 = if used.is_empty() {
        0.0
    } else {
        used.iter().map(|p| p.f1()).sum::<f64>() / used.len() as f64
    };
    Ok(r)
}
