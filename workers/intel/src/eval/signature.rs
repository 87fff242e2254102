//! Signature-field evaluation: the French endings (`signatures-fr/signatures.jsonl`) and the
//! English Enron emails of Quagga (`signatures-en-quagga/eval`).

use super::metrics::Prf;
use super::normalize as norm;
use crate::analysis::Signature;
use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

pub const FIELDS: [&str; 8] = [
    "name", "title", "company", "phones", "emails", "urls", "linkedin", "address",
];

/// Expected fields (absent ones are `None` / empty; `None` for a whole list means "not annotated").
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Gold {
    pub name: Option<String>,
    pub title: Option<String>,
    pub company: Option<String>,
    #[serde(default)]
    pub phones: Option<Vec<String>>,
    #[serde(default)]
    pub emails: Option<Vec<String>>,
    #[serde(default)]
    pub urls: Option<Vec<String>>,
    pub linkedin: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SignatureReport {
    pub n: usize,
    pub fields: Vec<(String, Prf)>,
    /// Examples where every annotated field is right.
    pub all_right: usize,
    pub errors: Vec<(String, String, String, String)>,
}

/// Compare predictions with gold; `annotated` lists the fields the data set annotates.
pub fn score(items: &[(String, Gold, Signature)], annotated: &[&str]) -> SignatureReport {
    let mut per: Vec<(String, Prf)> = annotated
        .iter()
        .map(|f| (f.to_string(), Prf::default()))
        .collect();
    let mut r = SignatureReport {
        n: items.len(),
        ..Default::default()
    };
    for (id, g, s) in items {
        let mut all = true;
        for (field, prf) in per.iter_mut() {
            let before = *prf;
            let (gv, pv) = match field.as_str() {
                "name" => scalar(prf, &g.name, &s.name, norm::text),
                "title" => scalar(prf, &g.title, &s.title, norm::text),
                "company" => scalar(prf, &g.company, &s.company, norm::text),
                "address" => scalar(prf, &g.address, &s.address, norm::text),
                "linkedin" => scalar(prf, &g.linkedin, &s.linkedin, |x| x.map(norm::url)),
                "phones" => list(prf, &g.phones, &s.phones, norm::phones),
                "emails" => list(prf, &g.emails, &s.emails, norm::emails),
                "urls" => list(prf, &g.urls, &s.urls, norm::urls),
                _ => (String::new(), String::new()),
            };
            if prf.fp != before.fp || prf.fn_ != before.fn_ {
                all = false;
                r.errors.push((id.clone(), field.clone(), gv, pv));
            }
        }
        r.all_right += usize::from(all);
    }
    r.fields = per;
    r
}

fn scalar(
    prf: &mut Prf,
    g: &Option<String>,
    p: &Option<String>,
    f: impl Fn(Option<&str>) -> Option<String>,
) -> (String, String) {
    let (g, p) = (f(g.as_deref()), f(p.as_deref()));
    prf.add_scalar(g.as_deref(), p.as_deref());
    (format!("{g:?}"), format!("{p:?}"))
}

fn list(
    prf: &mut Prf,
    g: &Option<Vec<String>>,
    p: &[String],
    f: impl Fn(&[String]) -> Vec<String>,
) -> (String, String) {
    let g = f(g.as_deref().unwrap_or(&[]));
    let p = f(p);
    prf.add_set(&g, &p);
    (format!("{g:?}"), format!("{p:?}"))
}

/// The French endings.
pub fn evaluate_fr(path: &Path) -> Result<SignatureReport> {
    let data =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut items = Vec::new();
    for (i, line) in data.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        #[derive(Deserialize)]
        struct Item {
            id: Option<String>,
            text: String,
            fields: Gold,
        }
        let it: Item = serde_json::from_str(line).with_context(|| format!("line {}", i + 1))?;
        let a = crate::analyze_text(&it.text);
        items.push((
            it.id.unwrap_or_else(|| format!("line-{}", i + 1)),
            it.fields,
            a.signature,
        ));
    }
    Ok(score(&items, &FIELDS))
}

/// Quagga's English emails. The sender's signature is the one of the top message (before the
/// first quoted header block). Mapping: Signature/Name (else the Outro/Name after the closing)
/// → name, Position → title, Organisation → company, Phone → phones, Mail → emails, Address →
/// address. Websites are not annotated there and are not scored.
pub fn evaluate_quagga(dir: &Path) -> Result<SignatureReport> {
    let mut items = Vec::new();
    for ann in super::quagga::annotation_files(dir)? {
        let txt = ann.with_extension("");
        let Ok(raw) = std::fs::read(&txt) else {
            continue;
        };
        let v: Value = serde_json::from_slice(&std::fs::read(&ann)?)
            .with_context(|| format!("parsing {}", ann.display()))?;
        let gold = quagga_gold(&v);
        let a = crate::analyze_message(&raw);
        let id = txt
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        items.push((id, gold, a.signature));
    }
    Ok(score(
        &items,
        &["name", "title", "company", "phones", "emails", "address"],
    ))
}

fn quagga_gold(v: &Value) -> Gold {
    let empty = Vec::new();
    let dens = v
        .get("denotations")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let span = |d: &Value| -> (u64, u64, String, String) {
        (
            d.get("start").and_then(Value::as_u64).unwrap_or(0),
            d.get("end").and_then(Value::as_u64).unwrap_or(0),
            d.get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            d.get("text")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        )
    };
    let all: Vec<_> = dens.iter().map(span).collect();
    let cut = all
        .iter()
        .filter(|d| d.2 == "Header" && d.0 > 0)
        .map(|d| d.0)
        .min()
        .unwrap_or(u64::MAX);
    let top: Vec<_> = all.iter().filter(|d| d.1 <= cut).collect();
    let first = |t: &str| {
        top.iter()
            .find(|d| d.2 == t)
            .map(|d| d.3.trim().to_string())
    };
    let many = |t: &str| {
        top.iter()
            .filter(|d| d.2 == t)
            .map(|d| d.3.trim().to_string())
            .collect::<Vec<_>>()
    };
    Gold {
        name: first("Body/Signature/Name").or_else(|| first("Body/Outro/Name")),
        title: first("Body/Signature/Position"),
        company: first("Body/Signature/Organisation"),
        phones: Some(many("Body/Signature/Phone")),
        emails: Some(many("Body/Signature/Mail")),
        urls: None,
        linkedin: None,
        address: first("Body/Signature/Address"),
    }
}
