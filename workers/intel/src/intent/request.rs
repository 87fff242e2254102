//! Request detection: does a sentence ask for or propose something? A two-class model over hashed
//! word n-grams, trained by `ops/train` on Parakweet's `train.tsv` (English sentences, Apache-2.0,
//! copied with its licence under `train-data/requests/`). Its decision threshold was chosen by
//! cross-validation on that data. A text's request probability is its most request-like sentence's.

use crate::model::{Linear, Sparse, features::Builder};
use std::sync::LazyLock;

pub const BYTES: &[u8] = include_bytes!("../../models/requests.bin");

static MODEL: LazyLock<Option<Linear>> = LazyLock::new(|| Linear::from_bytes(BYTES, 2).ok());

/// Sentences read per text (the head of a message holds what it asks).
const MAX_SENTENCES: usize = 40;

pub fn get() -> Option<&'static Linear> {
    MODEL.as_ref()
}

/// Word unigrams and bigrams: on this data character n-grams lowered cross-validated F1 (0.791
/// against 0.814), they fit the topic of a sentence more than whether it asks for something.
pub fn features(sentence: &str) -> Sparse {
    Builder::new().words(sentence).finish()
}

/// Probability that the most request-like sentence of `text` asks or proposes something, and the
/// model's threshold; `None` without a model or without words.
pub fn probability(text: &str) -> Option<(f32, f32)> {
    let m = get()?;
    let best = super::sentences(text)
        .iter()
        .take(MAX_SENTENCES)
        .map(|s| m.proba(&features(s))[1])
        .fold(None, |acc: Option<f32>, p| {
            Some(acc.map_or(p, |a| a.max(p)))
        })?;
    Some((best, m.threshold))
}
