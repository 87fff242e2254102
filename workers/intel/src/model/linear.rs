//! A linear softmax model over hashed features: `k` classes, one weight row per bucket that training
//! touched, a bias per class and a calibration temperature. Stored as little-endian bytes:
//! `CRMLIN01`, k, buckets, temperature, threshold, k biases, row count, then rows (bucket, k weights) sorted by
//! bucket, so the same weights always give the same bytes (and the same checksum).

use super::features::Sparse;

const MAGIC: &[u8; 8] = b"CRMLIN01";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("model file is truncated or not a model (expected {MAGIC:?} header)")]
    Malformed,
    #[error("model file has {found} classes, the code expects {expected}")]
    Classes { expected: usize, found: usize },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    pub k: usize,
    pub buckets: usize,
    /// Dense weights, `buckets × k` (bucket-major); buckets training never touched are zero and
    /// are not stored in the file.
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
    /// Logits are divided by it before the softmax (fitted on held-out data).
    pub temperature: f32,
    /// Decision threshold on the positive class of a two-class model (chosen by cross-validation).
    pub threshold: f32,
}

impl Linear {
    /// Raw scores per class.
    pub fn logits(&self, x: &Sparse) -> Vec<f32> {
        let mut z = self.bias.clone();
        for (i, v) in x {
            let at = *i as usize * self.k;
            if let Some(row) = self.weights.get(at..at + self.k) {
                for (zc, w) in z.iter_mut().zip(row) {
                    *zc += w * v;
                }
            }
        }
        z
    }

    /// Calibrated class probabilities.
    pub fn proba(&self, x: &Sparse) -> Vec<f32> {
        softmax(&self.logits(x), self.temperature)
    }

    /// Rows with any weight, in bucket order.
    fn stored_rows(&self) -> Vec<(u32, &[f32])> {
        self.weights
            .chunks(self.k.max(1))
            .enumerate()
            .filter(|(_, r)| r.iter().any(|w| *w != 0.0))
            .map(|(i, r)| (i as u32, r))
            .collect()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let keys = self.stored_rows();
        let mut out = Vec::with_capacity(32 + keys.len() * (4 + 4 * self.k));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.k as u32).to_le_bytes());
        out.extend_from_slice(&(self.buckets as u32).to_le_bytes());
        out.extend_from_slice(&self.temperature.to_le_bytes());
        out.extend_from_slice(&self.threshold.to_le_bytes());
        for b in &self.bias {
            out.extend_from_slice(&b.to_le_bytes());
        }
        out.extend_from_slice(&(keys.len() as u32).to_le_bytes());
        for (k, row) in keys {
            out.extend_from_slice(&k.to_le_bytes());
            for w in row {
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        out
    }

    pub fn from_bytes(bytes: &[u8], expected_k: usize) -> Result<Self, ModelError> {
        let mut r = Reader(bytes);
        if r.take(8)? != MAGIC {
            return Err(ModelError::Malformed);
        }
        let k = r.u32()? as usize;
        if k != expected_k {
            return Err(ModelError::Classes {
                expected: expected_k,
                found: k,
            });
        }
        let buckets = r.u32()? as usize;
        let temperature = r.f32()?;
        let threshold = r.f32()?;
        let bias = (0..k).map(|_| r.f32()).collect::<Result<Vec<_>, _>>()?;
        let n = r.u32()? as usize;
        if r.0.len() != n * (4 + 4 * k) {
            return Err(ModelError::Malformed);
        }
        if buckets > super::features::BUCKETS {
            return Err(ModelError::Malformed);
        }
        let mut weights = vec![0f32; buckets * k];
        for _ in 0..n {
            let i = r.u32()? as usize;
            if i >= buckets {
                return Err(ModelError::Malformed);
            }
            for w in &mut weights[i * k..(i + 1) * k] {
                *w = r.f32()?;
            }
        }
        Ok(Linear {
            k,
            buckets,
            weights,
            bias,
            temperature,
            threshold,
        })
    }
}

/// Softmax of `z / t`.
pub fn softmax(z: &[f32], t: f32) -> Vec<f32> {
    let t = if t > 0.0 { t } else { 1.0 };
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = z.iter().map(|v| ((v - m) / t).exp()).collect();
    let s: f32 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        if self.0.len() < n {
            return Err(ModelError::Malformed);
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        Ok(f32::from_bits(self.u32()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_refuse_garbage() {
        let mut weights = vec![0.0; 32];
        weights[10] = 0.5;
        weights[11] = -0.5;
        weights[4] = 1.0;
        let m = Linear {
            k: 2,
            buckets: 16,
            weights,
            bias: vec![0.1, -0.1],
            temperature: 1.5,
            threshold: 0.5,
        };
        let b = m.to_bytes();
        assert_eq!(Linear::from_bytes(&b, 2), Ok(m.clone()));
        assert_eq!(m.to_bytes(), b, "same weights, same bytes");
        assert_eq!(
            Linear::from_bytes(&b[..b.len() - 1], 2),
            Err(ModelError::Malformed)
        );
        assert!(matches!(
            Linear::from_bytes(&b, 3),
            Err(ModelError::Classes { .. })
        ));
        assert_eq!(Linear::from_bytes(b"nope", 2), Err(ModelError::Malformed));
        let p = m.proba(&vec![(2, 1.0)]);
        assert!(p[0] > p[1] && (p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }
}
