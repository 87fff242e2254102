//! Confidence calibration and its measure: temperature scaling fitted on held-out logits (one
//! parameter, keeps the ranking of classes), and the expected calibration error over 10 bins.

use super::linear::softmax;

/// The temperature minimising the negative log-likelihood of `gold` under `softmax(z / t)`.
pub fn fit_temperature(logits: &[Vec<f32>], gold: &[usize]) -> f32 {
    let mut best = (f64::INFINITY, 1.0f32);
    for step in 0..=95 {
        let t = 0.25 + step as f32 * 0.05;
        let nll: f64 = logits
            .iter()
            .zip(gold)
            .map(|(z, g)| -f64::from(softmax(z, t)[*g].max(1e-9)).ln())
            .sum();
        if nll < best.0 {
            best = (nll, t);
        }
    }
    best.1
}

/// Expected calibration error: `(confidence, correct)` pairs in 10 equal-width bins, the gap between
/// mean confidence and accuracy weighted by bin size.
pub fn ece(pairs: &[(f64, bool)]) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    let mut bins = [(0f64, 0f64, 0usize); 10];
    for (c, ok) in pairs {
        let b = ((c * 10.0) as usize).min(9);
        bins[b].0 += c;
        bins[b].1 += f64::from(u8::from(*ok));
        bins[b].2 += 1;
    }
    bins.iter()
        .filter(|b| b.2 > 0)
        .map(|(c, a, n)| (c / *n as f64 - a / *n as f64).abs() * *n as f64)
        .sum::<f64>()
        / pairs.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overconfident_logits_get_a_temperature_above_one() {
        // right 70 % of the time with huge margins: the fitted temperature softens them
        let mut z = Vec::new();
        let mut g = Vec::new();
        for i in 0..100 {
            z.push(vec![8.0, 0.0]);
            g.push(usize::from(i % 10 >= 7));
        }
        assert!(fit_temperature(&z, &g) > 2.0);
    }

    #[test]
    fn ece_of_perfect_and_bad_calibration() {
        let good: Vec<(f64, bool)> = (0..10).map(|i| (0.95, i != 0)).collect();
        assert!(ece(&good) < 0.06);
        let bad: Vec<(f64, bool)> = (0..10).map(|_| (0.95, false)).collect();
        assert!((ece(&bad) - 0.95).abs() < 1e-9);
    }
}
