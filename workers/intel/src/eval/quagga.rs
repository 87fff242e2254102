//! Quagga (Enron emails with character-offset annotations, MIT): the top message of each email and
//! the line classes its annotations give. Serves the block-line metric (on `eval/`) and the
//! signature line model's English training data (on `train/`, copied under `train-data/`).

use anyhow::{Context, Result};
use serde_json::Value;
use std::path::Path;

/// One annotated email: the text the offsets refer to, cut before the first quoted header.
pub struct Doc {
    pub id: String,
    pub top: String,
    /// `(start, end, type)` of the spans inside `top`.
    pub spans: Vec<(usize, usize, String)>,
}

/// The annotation files (`NAME.txt.ann`) of a Quagga folder, sorted.
pub fn annotation_files(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ann"))
        .collect();
    names.sort();
    Ok(names)
}

pub fn load_dir(dir: &Path) -> Result<Vec<Doc>> {
    let mut out = Vec::new();
    for ann in annotation_files(dir)? {
        let v: Value = serde_json::from_slice(&std::fs::read(&ann)?)
            .with_context(|| format!("parsing {}", ann.display()))?;
        let id = ann
            .with_extension("")
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.extend(doc(id, &v));
    }
    Ok(out)
}

/// The annotated text cut at the first header span after the start (the quoted history).
pub fn doc(id: String, v: &Value) -> Option<Doc> {
    let text = v.get("text")?.as_str()?;
    let spans: Vec<(usize, usize, String)> = v
        .get("denotations")?
        .as_array()?
        .iter()
        .filter_map(|d| {
            Some((
                d.get("start")?.as_u64()? as usize,
                d.get("end")?.as_u64()? as usize,
                d.get("type")?.as_str()?.to_string(),
            ))
        })
        .collect();
    let cut = spans
        .iter()
        .filter(|s| s.2 == "Header" && s.0 > 0)
        .map(|s| s.0)
        .min()
        .unwrap_or(text.len());
    let mut cut = cut.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let top = text[..cut].to_string();
    let spans = spans.into_iter().filter(|s| s.0 < cut).collect();
    Some(Doc { id, top, spans })
}

/// The lines of the top message with their byte ranges.
pub fn lines(top: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for l in top.split_inclusive('\n') {
        let end = start + l.len();
        out.push((start, end, l.trim_end_matches(['\n', '\r'])));
        start = end;
    }
    out
}

fn overlaps(a: (usize, usize), s: &(usize, usize, String)) -> bool {
    a.0 < s.1 && s.0 < a.1
}

/// Whether each line is part of the annotated signature block (`Body/Signature` or below); with
/// `sign_off_name`, also the name under a closing formula (`Body/Outro/Name`, e.g. "Thanks,\nSally").
pub fn signature_lines(d: &Doc, sign_off_name: bool) -> Vec<bool> {
    lines(&d.top)
        .iter()
        .map(|(a, b, t)| {
            !t.trim().is_empty()
                && d.spans.iter().any(|s| {
                    (s.2.starts_with("Body/Signature")
                        || (sign_off_name && s.2 == "Body/Outro/Name"))
                        && overlaps((*a, *b), s)
                })
        })
        .collect()
}

/// The line class each annotation gives (names of `signature::model::CLASSES`); blank lines `None`.
pub fn line_classes(d: &Doc) -> Vec<Option<&'static str>> {
    lines(&d.top)
        .iter()
        .map(|(a, b, t)| {
            if t.trim().is_empty() {
                return None;
            }
            let types: Vec<&str> = d
                .spans
                .iter()
                .filter(|s| overlaps((*a, *b), s))
                .map(|s| s.2.as_str())
                .collect();
            let sub: Vec<&str> = types
                .iter()
                .filter_map(|t| t.strip_prefix("Body/Signature/"))
                .collect();
            let class = if sub.len() > 1 {
                "mixed"
            } else if let Some(k) = sub.first() {
                match *k {
                    "Name" => "name",
                    "Position" => "title",
                    "Organisation" => "company",
                    "Address" => "address",
                    "Disclaimer" => "legal",
                    _ => "contact",
                }
            } else if types.contains(&"Body/Signature") {
                "mixed"
            } else if types.iter().any(|t| t.starts_with("Body/Outro")) {
                "closing"
            } else {
                "body"
            };
            Some(class)
        })
        .collect()
}
