//! Training of a [`Linear`] model: multinomial logistic regression by stochastic gradient descent
//! with L2 regularisation, a decaying step and a seeded example order (deterministic: the same data
//! and configuration give the same bytes).

use super::features::{BUCKETS, Sparse};
use super::linear::{Linear, softmax};
use super::rng::SplitMix64;

#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            epochs: 20,
            learning_rate: 0.5,
            l2: 1e-5,
            seed: 14,
        }
    }
}

/// Fit a `k`-class model on `(x, y)`; `weights` scales each example's gradient (class balance).
pub fn train(xs: &[Sparse], ys: &[usize], k: usize, cfg: &Config) -> Linear {
    let mut w = vec![0f32; BUCKETS * k];
    let mut bias = vec![0f32; k];
    let mut touched = vec![false; BUCKETS];
    let mut counts = vec![0usize; k];
    for y in ys {
        counts[*y] += 1;
    }
    let n = ys.len().max(1);
    let class_weight: Vec<f32> = counts
        .iter()
        .map(|c| {
            if *c == 0 {
                0.0
            } else {
                n as f32 / (k * c) as f32
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..ys.len()).collect();
    let mut rng = SplitMix64::new(cfg.seed);
    let mut t = 0f32;
    for _ in 0..cfg.epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            let lr = cfg.learning_rate / (1.0 + t / n as f32);
            t += 1.0;
            let x = &xs[i];
            let mut z = bias.clone();
            for (j, v) in x {
                let row = &w[*j as usize * k..(*j as usize + 1) * k];
                for (zc, wc) in z.iter_mut().zip(row) {
                    *zc += wc * v;
                }
            }
            let mut g = softmax(&z, 1.0);
            g[ys[i]] -= 1.0;
            let cw = class_weight[ys[i]];
            for (c, gc) in g.iter_mut().enumerate() {
                *gc *= cw;
                bias[c] -= lr * *gc;
            }
            for (j, v) in x {
                let j = *j as usize;
                touched[j] = true;
                let row = &mut w[j * k..(j + 1) * k];
                for (wc, gc) in row.iter_mut().zip(&g) {
                    *wc -= lr * (gc * v + cfg.l2 * *wc);
                }
            }
        }
    }
    // weights of untouched buckets stay exactly zero; tiny ones are dropped to keep the file small
    for (j, on) in touched.iter().enumerate() {
        let row = &mut w[j * k..(j + 1) * k];
        if !on || row.iter().all(|v| v.abs() <= 1e-6) {
            row.iter_mut().for_each(|v| *v = 0.0);
        }
    }
    Linear {
        k,
        buckets: BUCKETS,
        weights: w,
        bias,
        temperature: 1.0,
        threshold: 0.5,
    }
}

/// Stratified assignment of examples to `folds` folds, seeded.
pub fn folds(ys: &[usize], folds: usize, seed: u64) -> Vec<usize> {
    let mut out = vec![0; ys.len()];
    let mut rng = SplitMix64::new(seed);
    let k = ys.iter().copied().max().map_or(0, |m| m + 1);
    for c in 0..k {
        let mut idx: Vec<usize> = (0..ys.len()).filter(|i| ys[*i] == c).collect();
        rng.shuffle(&mut idx);
        for (n, i) in idx.into_iter().enumerate() {
            out[i] = n % folds;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::features::Builder;

    #[test]
    fn learns_a_separable_toy_problem_deterministically() {
        let texts = [
            ("send me the report please", 1),
            ("could you send the factsheet", 1),
            ("please send the prospectus", 1),
            ("thanks for lunch yesterday", 0),
            ("the weather was nice", 0),
            ("we had a good time", 0),
        ];
        let xs: Vec<Sparse> = texts
            .iter()
            .map(|(t, _)| Builder::new().text(t).finish())
            .collect();
        let ys: Vec<usize> = texts.iter().map(|(_, y)| *y).collect();
        let m = train(&xs, &ys, 2, &Config::default());
        let again = train(&xs, &ys, 2, &Config::default());
        assert_eq!(m.to_bytes(), again.to_bytes());
        let p = m.proba(&Builder::new().text("please send the report").finish());
        assert!(p[1] > 0.5, "{p:?}");
        let f = folds(&ys, 3, 1);
        for c in 0..3 {
            assert_eq!(f.iter().filter(|x| **x == c).count(), 2);
        }
    }
}
