//! The trained intent model: a softmax over the 11 labels for each sentence of the author's own
//! text (and the subject of a new message), from hashed n-grams plus the rules' verdict on that
//! sentence. A message's score for a label is its most convincing sentence's probability; the
//! label is the one of highest precedence (INTENTS.md) whose score reaches the threshold chosen by
//! cross-validation, else `other`. Deciding per sentence keeps a request found in a long, chatty
//! email from being diluted by the rest. Trained by `ops/train` (`train-intent`) on
//! `train-data/intent/`, never on `../shared/eval`. Embedded in the binary and parsed once; when
//! the embedded bytes are not a valid model the analyser falls back to the rules alone.

use super::{FIRE, REPLY_SUBJECT, WEAK};
use crate::analysis::IntentLabel;
use crate::model::{Linear, Sparse, features::Builder};
use std::sync::LazyLock;

/// The committed model bytes.
pub const BYTES: &[u8] = include_bytes!("../../models/intent.bin");
/// Sentences read per message.
const MAX_SENTENCES: usize = 40;

static MODEL: LazyLock<Option<Linear>> =
    LazyLock::new(|| Linear::from_bytes(BYTES, IntentLabel::ALL.len()).ok());

/// The intent model, if the embedded one is valid.
pub fn get() -> Option<&'static Linear> {
    MODEL.as_ref()
}

/// Index of `other` in [`IntentLabel::ALL`].
pub fn other_index() -> usize {
    IntentLabel::ALL.len() - 1
}

/// Features of one sentence: its n-grams and the label the rules give it, if any.
pub fn sentence_features(sentence: &str) -> Sparse {
    let mut b = Builder::new();
    b.text(sentence);
    let rules = super::score("", sentence);
    for l in IntentLabel::ALL {
        let v = rules.by_label.get(&l).copied().unwrap_or(0.0);
        if v >= FIRE {
            b.named(&format!("rule_fire:{}", l.as_str()), 0.5);
        } else if v >= WEAK {
            b.named(&format!("rule_weak:{}", l.as_str()), 0.25);
        }
    }
    b.finish()
}

/// The units a message is judged on: its sentences, and its subject when it is not a reply.
pub fn units(subject: &str, text: &str) -> Vec<String> {
    let mut v: Vec<String> = super::sentences(crate::text::truncate(text, super::MAX_TEXT))
        .iter()
        .flat_map(|s| clauses(s))
        .take(MAX_SENTENCES)
        .collect();
    if !REPLY_SUBJECT.is_match(subject) && !subject.trim().is_empty() {
        v.push(subject.trim().to_string());
    }
    v
}

/// A sentence cut at a contrast or a semicolon ("I'm interested, but how does it work?"): each
/// clause can carry its own intent, and a message's label score is its best unit's.
fn clauses(sentence: &str) -> Vec<String> {
    static CUT: LazyLock<regex::Regex> = LazyLock::new(|| {
        crate::text::re(r"(?i);\s+|,\s+(?:but|however|mais|cependant|toutefois)\s+")
    });
    let parts: Vec<String> = CUT
        .split(sentence)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    if parts.len() > 1 {
        parts
    } else {
        vec![sentence.to_string()]
    }
}

/// Per-label score of a message: the highest probability any of its units gives the label.
pub fn label_scores(m: &Linear, units: &[Sparse]) -> Vec<f32> {
    let mut s = vec![0f32; m.k];
    for x in units {
        for (a, p) in s.iter_mut().zip(m.proba(x)) {
            *a = a.max(p);
        }
    }
    s
}

/// The decision from label scores: the highest-precedence label at or above `threshold`, else
/// `other`; with its confidence (the label's score, or for `other` one minus the best other score).
pub fn decide(scores: &[f32], threshold: f32) -> (usize, f32) {
    let other = other_index();
    let best = (0..scores.len())
        .filter(|i| *i != other && scores[*i] >= threshold)
        .max_by_key(|i| IntentLabel::ALL[*i].precedence());
    match best {
        Some(i) => (i, scores[i]),
        None => {
            let top = (0..scores.len())
                .filter(|i| *i != other)
                .map(|i| scores[i])
                .fold(0f32, f32::max);
            (other, 1.0 - top)
        }
    }
}

/// Index of the largest value.
pub fn argmax(p: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in p.iter().enumerate() {
        if *v > p[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_among_labels_over_threshold() {
        let mut s = vec![0.0; IntentLabel::ALL.len()];
        let idx = |l: IntentLabel| IntentLabel::ALL.iter().position(|x| *x == l).unwrap_or(0);
        s[idx(IntentLabel::InformationRequest)] = 0.9;
        s[idx(IntentLabel::QuoteRequest)] = 0.6;
        assert_eq!(decide(&s, 0.5), (idx(IntentLabel::QuoteRequest), 0.6));
        assert_eq!(decide(&s, 0.7).0, idx(IntentLabel::InformationRequest));
        let (l, c) = decide(&s, 0.95);
        assert_eq!(l, other_index());
        assert!((c - 0.1).abs() < 1e-6);
    }
}
