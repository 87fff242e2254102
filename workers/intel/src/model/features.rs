//! Hashed bag-of-n-grams features: word unigrams and bigrams (with a start marker, so "could you"
//! at the head of a sentence differs from the same words later), `?`/`!` as words, and character
//! 3- to 5-grams inside each word (robust to typos, missing accents and inflection). Text is
//! lowercased and accents are folded first. Counts are log-scaled and the vector L2-normalised.
//! Extra named features (rule outputs) are hashed into the same space under their own prefix.

use crate::text::fold;

/// Number of hash buckets (feature space size).
pub const BUCKETS: usize = 1 << 18;
/// Longest text read (bytes, after folding): the head of a message says what it wants.
const MAX_CHARS: usize = 4000;

/// A sparse vector: sorted bucket indexes with their values.
pub type Sparse = Vec<(u32, f32)>;

fn fnv(prefix: u8, parts: &[&str]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    eat(prefix);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            eat(0x1f);
        }
        for b in p.bytes() {
            eat(b);
        }
    }
    ((h ^ (h >> 32)) as usize % BUCKETS) as u32
}

/// The words of a folded text: runs of letters/digits, plus `?` and `!` as words of their own.
fn tokens(folded: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in folded.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
            continue;
        }
        if let Some(s) = start.take() {
            out.push(&folded[s..i]);
        }
        if c == '?' || c == '!' {
            out.push(&folded[i..i + 1]);
        }
    }
    if let Some(s) = start {
        out.push(&folded[s..]);
    }
    out
}

/// Collects raw feature hits; [`Builder::finish`] turns them into a normalised sparse vector.
#[derive(Default)]
pub struct Builder {
    hits: Vec<u32>,
    named: Vec<(u32, f32)>,
}

impl Builder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add the n-gram features of a text.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.ngrams(text, true)
    }

    /// Word unigrams and bigrams only (no character n-grams).
    pub fn words(&mut self, text: &str) -> &mut Self {
        self.ngrams(text, false)
    }

    fn ngrams(&mut self, text: &str, chars: bool) -> &mut Self {
        let folded = fold(crate::text::truncate(text, MAX_CHARS * 2));
        let folded = crate::text::truncate(&folded, MAX_CHARS);
        let toks = tokens(folded);
        let mut prev = "<s>";
        for t in &toks {
            self.hits.push(fnv(b'w', &[t]));
            self.hits.push(fnv(b'b', &[prev, t]));
            prev = t;
            if !chars {
                continue;
            }
            // character n-grams of "_word_", hashed from the UTF-8 bytes of each window
            let padded = format!("_{t}_");
            let starts: Vec<usize> = padded
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(padded.len()))
                .collect();
            for n in 3..=5 {
                for w in starts.windows(n + 1) {
                    self.hits.push(fnv(b'c', &[&padded[w[0]..w[n]]]));
                }
            }
        }
        self
    }

    /// Add a named feature with a value (e.g. a rule that fired).
    pub fn named(&mut self, name: &str, value: f32) -> &mut Self {
        self.named.push((fnv(b'n', &[name]), value));
        self
    }

    /// Log-scaled counts, L2-normalised; named features are appended unnormalised.
    pub fn finish(&mut self) -> Sparse {
        self.hits.sort_unstable();
        let mut out: Sparse = Vec::with_capacity(self.hits.len() / 2 + self.named.len());
        let mut i = 0;
        while i < self.hits.len() {
            let j = self.hits[i..].partition_point(|h| *h == self.hits[i]) + i;
            out.push((self.hits[i], 1.0 + ((j - i) as f32).ln()));
            i = j;
        }
        let norm = out.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, v) in &mut out {
                *v /= norm;
            }
        }
        for &(k, v) in &self.named {
            match out.binary_search_by_key(&k, |(i, _)| *i) {
                Ok(p) => out[p].1 += v,
                Err(p) => out.insert(p, (k, v)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_and_normalised() {
        let a = Builder::new()
            .text("Pourriez-vous m'envoyer le DIC ?")
            .finish();
        let b = Builder::new()
            .text("pourriez vous m envoyer le dic?")
            .finish();
        assert_eq!(a, b);
        let n: f32 = a.iter().map(|(_, v)| v * v).sum();
        assert!((n - 1.0).abs() < 1e-4);
        assert!(a.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn question_mark_is_a_word() {
        assert_eq!(
            tokens("could you send it?"),
            vec!["could", "you", "send", "it", "?"]
        );
    }

    #[test]
    fn empty_and_named() {
        assert!(Builder::new().text("").finish().is_empty());
        let v = Builder::new().named("rule:x", 1.0).finish();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].1, 1.0);
    }
}
