//! Precision, recall and F1 from counts.

#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Prf {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Prf {
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            0.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            0.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    /// Support: number of gold items.
    pub fn support(&self) -> usize {
        self.tp + self.fn_
    }
    /// Scalar field: both empty is nothing; equal is a hit; a wrong value is a false positive and a
    /// miss.
    pub fn add_scalar(&mut self, gold: Option<&str>, pred: Option<&str>) {
        match (gold, pred) {
            (None, None) => {}
            (Some(_), None) => self.fn_ += 1,
            (None, Some(_)) => self.fp += 1,
            (Some(g), Some(p)) if g == p => self.tp += 1,
            (Some(_), Some(_)) => {
                self.fp += 1;
                self.fn_ += 1;
            }
        }
    }
    /// One binary decision: is it in the positive class (`gold`), was it called so (`pred`).
    pub fn add(&mut self, gold: bool, pred: bool) {
        match (gold, pred) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => {}
        }
    }
    /// List field compared as sets.
    pub fn add_set(&mut self, gold: &[String], pred: &[String]) {
        let g: std::collections::BTreeSet<&String> = gold.iter().collect();
        let p: std::collections::BTreeSet<&String> = pred.iter().collect();
        self.tp += g.intersection(&p).count();
        self.fp += p.difference(&g).count();
        self.fn_ += g.difference(&p).count();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores() {
        let mut p = Prf::default();
        p.add_scalar(Some("a"), Some("a"));
        p.add_scalar(Some("a"), Some("b"));
        p.add_scalar(None, Some("b"));
        assert_eq!((p.tp, p.fp, p.fn_), (1, 2, 1));
        assert!((p.f1() - 0.4).abs() < 1e-9);
    }
}
