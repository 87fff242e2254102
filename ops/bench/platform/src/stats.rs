//! Latency summaries: percentiles from an HDR histogram, exact maximum and mean from the samples.

use hdrhistogram::Histogram;
use serde_json::{Value, json};

/// Significant figures the histograms keep: values below 2048 are exact, larger ones within 0.1%.
const SIGFIGS: u8 = 3;

/// Percentiles of a set of samples; `None` for every percentile when there is no sample.
pub struct Percentiles(Option<Histogram<u64>>);

impl Percentiles {
    pub fn new(samples: impl IntoIterator<Item = u64>) -> Self {
        let mut hist = Histogram::<u64>::new(SIGFIGS).ok();
        if let Some(h) = &mut hist {
            for v in samples {
                // `record` grows the histogram to fit; only a value beyond any size it can take saturates.
                if h.record(v).is_err() {
                    h.saturating_record(v);
                }
            }
        }
        Self(hist.filter(|h| !h.is_empty()))
    }

    /// The value at percentile `p` (0 to 100): the smallest that at least `p`% of the samples do not exceed.
    pub fn at(&self, p: f64) -> Option<u64> {
        self.0.as_ref().map(|h| h.value_at_quantile(p / 100.0))
    }
}

/// Summary of latencies in ms (negative ones, which clock steps could produce, count as 0 in the percentiles).
pub fn latency_summary(v: &[i64]) -> Value {
    let p = Percentiles::new(v.iter().map(|&ms| u64::try_from(ms).unwrap_or(0)));
    json!({
        "samples": v.len(),
        "p50_ms": p.at(50.0),
        "p90_ms": p.at(90.0),
        "p99_ms": p.at(99.0),
        "max_ms": v.iter().max(),
        "mean_ms": if v.is_empty() { None } else { Some(v.iter().sum::<i64>() as f64 / v.len() as f64) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nearest-rank percentile of sorted values the bench computed before the histograms.
    fn nearest_rank(sorted: &[u64], p: f64) -> u64 {
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    #[test]
    fn values_below_2048_give_the_nearest_rank_exactly() {
        let mut v: Vec<u64> = (0..300u64).map(|i| (i * 7919) % 2000).collect();
        let p = Percentiles::new(v.iter().copied());
        v.sort_unstable();
        for q in [0.0, 50.0, 90.0, 99.0, 100.0] {
            assert_eq!(p.at(q), Some(nearest_rank(&v, q)), "p{q}");
        }
    }

    #[test]
    fn larger_values_are_within_a_thousandth() {
        let mut v: Vec<u64> = (1..=5_000u64).map(|i| i * 997).collect();
        let p = Percentiles::new(v.iter().copied());
        v.sort_unstable();
        for q in [50.0, 99.0] {
            let (got, want) = (p.at(q).unwrap() as f64, nearest_rank(&v, q) as f64);
            assert!((got - want).abs() <= want / 1000.0, "p{q}: {got} vs {want}");
        }
    }

    #[test]
    fn no_samples_give_nulls() {
        assert_eq!(Percentiles::new([]).at(50.0), None);
        let s = latency_summary(&[]);
        assert_eq!(s["samples"], 0);
        for k in ["p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms"] {
            assert!(s[k].is_null(), "{k}");
        }
    }

    #[test]
    fn summary_keeps_exact_max_and_mean() {
        let s = latency_summary(&[3, 1, 2, 10]);
        assert_eq!(s["p50_ms"], 2);
        assert_eq!(s["p99_ms"], 10);
        assert_eq!(s["max_ms"], 10);
        assert_eq!(s["mean_ms"], 4.0);
    }
}
