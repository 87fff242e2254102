//! The trained intent model: a softmax over the 11 labels from hashed n-grams of the author's own
//! text (and of the subject of a new message) plus the rules' verdicts as features. Trained by
//! `ops/train` (`train-intent`) on `train-data/intent/corpus.jsonl`, never on `../shared/eval`.
//! Embedded in the binary and parsed once; when the embedded bytes are not a valid model (e.g. a
//! checkout where it was never trained) the analyser falls back to the rules alone.

use super::{FIRE, REPLY_SUBJECT, Scores, WEAK};
use crate::analysis::IntentLabel;
use crate::model::{Linear, Sparse, features::Builder};
use std::sync::LazyLock;

/// The committed model bytes.
pub const BYTES: &[u8] = include_bytes!("../../models/intent.bin");

static MODEL: LazyLock<Option<Linear>> =
    LazyLock::new(|| Linear::from_bytes(BYTES, IntentLabel::ALL.len()).ok());

/// The intent model, if the embedded one is valid.
pub fn get() -> Option<&'static Linear> {
    MODEL.as_ref()
}

/// Feature vector of a message: n-grams of the author's text, of the subject when the message is
/// not a reply, and one feature per label the rules retained (strongly or weakly).
pub fn features(subject: &str, text: &str, rules: &Scores) -> Sparse {
    let mut b = Builder::new();
    b.text(text);
    if !REPLY_SUBJECT.is_match(subject) && !subject.trim().is_empty() {
        b.text(subject);
    }
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

/// Index of the largest probability.
pub fn argmax(p: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in p.iter().enumerate() {
        if *v > p[best] {
            best = i;
        }
    }
    best
}
