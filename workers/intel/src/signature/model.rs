//! The signature line model: a softmax over what each line of an email ending is (body text,
//! closing formula, name, title, company, address, contact line, several pieces on one line, legal
//! mention), from hashed n-grams of the line plus shape, position, gazetteer and rule features of
//! the line and its neighbours. Trained by `ops/train` (`train-signature`) on endings written by
//! `train-data/signature/generate.py` (names from the Faker lists in `data/gazetteers`, MIT); never
//! on `../shared/eval`. It finds where a signature starts when no closing formula announces it,
//! and which line holds the name, the title and the company; the rules still cut pieces, parse
//! phones (E.164), emails and URLs.

use super::{block, fields};
use crate::model::{Linear, Sparse, features::Builder};
use crate::text::fold;
use std::collections::HashSet;
use std::sync::LazyLock;

pub const BYTES: &[u8] = include_bytes!("../../models/signature.bin");

/// Line classes, in the model's order.
pub const CLASSES: [&str; 9] = [
    "body", "closing", "name", "title", "company", "address", "contact", "mixed", "legal",
];
pub const NAME: usize = 2;
pub const TITLE: usize = 3;
pub const COMPANY: usize = 4;
/// Lines read from the end of a text.
pub const MAX_LINES: usize = 40;

static MODEL: LazyLock<Option<Linear>> =
    LazyLock::new(|| Linear::from_bytes(BYTES, CLASSES.len()).ok());

fn list(text: &str) -> HashSet<String> {
    text.lines()
        .map(|l| fold(l.trim()))
        .filter(|l| !l.is_empty())
        .collect()
}

static FIRST_NAMES: LazyLock<HashSet<String>> =
    LazyLock::new(|| list(include_str!("../../data/gazetteers/first_names.txt")));
static LAST_NAMES: LazyLock<HashSet<String>> =
    LazyLock::new(|| list(include_str!("../../data/gazetteers/last_names.txt")));

pub fn get() -> Option<&'static Linear> {
    MODEL.as_ref()
}

/// Whether a class is part of a signature block.
pub fn is_signature_class(c: usize) -> bool {
    (NAME..=7).contains(&c)
}

fn bucket(n: usize, max: usize) -> usize {
    n.min(max)
}

/// Shape cues of one line, as feature names (used for the line and, prefixed, its neighbours).
fn cues(line: &str) -> Vec<String> {
    let t = line.trim();
    let mut v = Vec::new();
    if t.is_empty() {
        v.push("blank".into());
        return v;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    v.push(format!("words:{}", bucket(words.len(), 8)));
    v.push(format!("len:{}", bucket(t.chars().count() / 10, 10)));
    let digits = t.chars().filter(char::is_ascii_digit).count();
    v.push(format!("digits:{}", bucket(digits, 10)));
    if t.contains('@') {
        v.push("at".into());
    }
    if crate::contact::url::find(t)
        .iter()
        .any(|u| !u.url.is_empty())
    {
        v.push("url".into());
    }
    if ["|", " – ", " - ", " / ", "·"]
        .iter()
        .any(|s| t.contains(s))
    {
        v.push("sep".into());
    }
    if t.ends_with(',') {
        v.push("comma_end".into());
    }
    if t.ends_with('.') || t.ends_with('?') || t.ends_with('!') {
        v.push("sentence_end".into());
    }
    let alpha: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| w.chars().next().is_some_and(char::is_alphabetic))
        .collect();
    if !alpha.is_empty() && alpha.iter().all(|w| crate::text::is_capitalized(w)) {
        v.push("all_capitalised".into());
    }
    if !alpha.is_empty() && alpha.iter().all(|w| crate::text::is_all_caps_word(w)) {
        v.push("all_caps".into());
    }
    let keys: Vec<String> = words
        .iter()
        .map(|w| fold(w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-')))
        .collect();
    let firsts = keys
        .iter()
        .filter(|k| {
            FIRST_NAMES.contains(k.as_str())
                || k.split('-')
                    .all(|p| !p.is_empty() && FIRST_NAMES.contains(p))
        })
        .count();
    let lasts = keys
        .iter()
        .filter(|k| LAST_NAMES.contains(k.as_str()))
        .count();
    if firsts > 0 {
        v.push(format!("first_name:{}", bucket(firsts, 2)));
    }
    if lasts > 0 {
        v.push(format!("last_name:{}", bucket(lasts, 2)));
    }
    if keys
        .first()
        .is_some_and(|k| FIRST_NAMES.contains(k.as_str()))
    {
        v.push("starts_first_name".into());
    }
    if block::is_closing(t) {
        v.push("closing".into());
    }
    let ts = fields::title_score(t);
    if ts > 0.0 {
        v.push(format!("title_score:{}", bucket(ts as usize, 4)));
    }
    let cs = fields::company_score(t, &[]);
    if cs > 0.0 {
        v.push(format!("company_score:{}", bucket(cs as usize, 4)));
    }
    if fields::name_candidate(t, None, None).is_some() {
        v.push("name_candidate".into());
    }
    let a = crate::signature::address::cue(t);
    if a != crate::signature::address::AddressCue::None {
        v.push(format!("address:{a:?}"));
    }
    v
}

/// Feature vectors of the lines of a text (blank lines included, they get features too).
pub fn line_features(lines: &[&str]) -> Vec<Sparse> {
    let cue_of: Vec<Vec<String>> = lines.iter().map(|l| cues(l)).collect();
    let non_blank: Vec<usize> = (0..lines.len())
        .filter(|i| !lines[*i].trim().is_empty())
        .collect();
    let n = non_blank.len();
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let mut b = Builder::new();
        b.text(line);
        for c in &cue_of[i] {
            b.named(c, 0.5);
        }
        let rank = non_blank.iter().position(|k| *k == i).unwrap_or(0);
        b.named(&format!("from_start:{}", bucket(rank, 6)), 0.5);
        b.named(
            &format!("from_end:{}", bucket(n.saturating_sub(rank + 1), 10)),
            0.5,
        );
        let prev = (0..i).rev().find(|k| !lines[*k].trim().is_empty());
        let next = (i + 1..lines.len()).find(|k| !lines[*k].trim().is_empty());
        if i > 0 && lines[i - 1].trim().is_empty() {
            b.named("blank_before", 0.5);
        }
        match prev {
            None => {
                b.named("first_line", 0.5);
            }
            Some(p) => {
                for c in &cue_of[p] {
                    b.named(&format!("prev:{c}"), 0.25);
                }
            }
        }
        match next {
            None => {
                b.named("last_line", 0.5);
            }
            Some(x) => {
                for c in &cue_of[x] {
                    b.named(&format!("next:{c}"), 0.25);
                }
            }
        }
        out.push(b.finish());
    }
    out
}

thread_local! {
    /// A model in place of the embedded one, for cross-validation of the whole extraction.
    static OVERRIDE: std::cell::RefCell<Option<Linear>> = const { std::cell::RefCell::new(None) };
}

/// Run `f` with `m` as this thread's signature model (training's cross-validation only).
pub fn with_model<T>(m: Linear, f: impl FnOnce() -> T) -> T {
    OVERRIDE.with(|o| *o.borrow_mut() = Some(m));
    let out = f();
    OVERRIDE.with(|o| *o.borrow_mut() = None);
    out
}

/// The model's class and probability for each line (`None` without a model).
pub fn classify(lines: &[&str]) -> Option<Vec<(usize, f32)>> {
    let run = |m: &Linear| {
        line_features(lines)
            .iter()
            .map(|x| {
                let p = m.proba(x);
                let c = crate::intent::model::argmax(&p);
                (c, p[c])
            })
            .collect()
    };
    OVERRIDE.with(|o| match o.borrow().as_ref() {
        Some(m) => Some(run(m)),
        None => get().map(run),
    })
}

/// First line of the signature at the end of `lines` by the model: the start of the last run of
/// signature lines (blank and legal lines may sit inside or after it). `None` when the model finds
/// no name, title or company line in that run.
pub fn block_start(classes: &[(usize, f32)], lines: &[&str]) -> Option<usize> {
    let mut start = None;
    let mut has_identity = false;
    for i in (0..lines.len()).rev() {
        if lines[i].trim().is_empty() {
            continue;
        }
        let c = classes[i].0;
        if is_signature_class(c) {
            start = Some(i);
            has_identity |= matches!(c, NAME | TITLE | COMPANY | 7);
        } else if CLASSES[c] == "legal" && start.is_none() {
            continue;
        } else {
            break;
        }
    }
    start.filter(|_| has_identity)
}
