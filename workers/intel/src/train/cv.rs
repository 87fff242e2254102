//! Cross-validation helpers: grouped stratified folds, per-class scores, confusion matrix.

use crate::eval::metrics::Prf;
use crate::model::rng::SplitMix64;
use std::collections::BTreeMap;

/// Fold of each example: the groups of each class are shuffled (seeded) and dealt round-robin, so
/// every example of a group lands in the same fold (a sentence the test fold holds was never seen
/// in training) and each fold holds a share of every class.
pub fn grouped_folds(classes: &[usize], groups: &[String], k: usize, seed: u64) -> Vec<usize> {
    let mut by_class: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (c, g) in classes.iter().zip(groups) {
        let v = by_class.entry(*c).or_default();
        if !v.contains(&g.as_str()) {
            v.push(g);
        }
    }
    let mut rng = SplitMix64::new(seed);
    let mut fold_of: BTreeMap<&str, usize> = BTreeMap::new();
    for gs in by_class.values_mut() {
        rng.shuffle(gs);
        for (i, g) in gs.iter().enumerate() {
            fold_of.entry(g).or_insert(i % k);
        }
    }
    groups.iter().map(|g| fold_of[g.as_str()]).collect()
}

/// Per-class precision/recall/F1 and the confusion matrix (gold rows, predicted columns).
#[derive(Debug, Clone)]
pub struct Scores {
    pub per_class: Vec<Prf>,
    pub confusion: Vec<Vec<usize>>,
}

impl Scores {
    pub fn new(gold: &[usize], pred: &[usize], k: usize) -> Scores {
        let mut per_class = vec![Prf::default(); k];
        let mut confusion = vec![vec![0; k]; k];
        for (g, p) in gold.iter().zip(pred) {
            confusion[*g][*p] += 1;
            if g == p {
                per_class[*g].tp += 1;
            } else {
                per_class[*g].fn_ += 1;
                per_class[*p].fp += 1;
            }
        }
        Scores {
            per_class,
            confusion,
        }
    }

    pub fn macro_f1(&self) -> f64 {
        self.per_class.iter().map(Prf::f1).sum::<f64>() / self.per_class.len().max(1) as f64
    }

    pub fn accuracy(&self) -> f64 {
        let right: usize = (0..self.confusion.len())
            .map(|i| self.confusion[i][i])
            .sum();
        let all: usize = self.confusion.iter().flatten().sum();
        right as f64 / all.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_stay_together_and_classes_spread() {
        let classes = vec![0, 0, 0, 0, 1, 1, 1, 1];
        let groups: Vec<String> = ["a", "a", "b", "c", "d", "e", "e", "f"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let f = grouped_folds(&classes, &groups, 2, 3);
        assert_eq!(f[0], f[1]);
        assert_eq!(f[5], f[6]);
        for c in 0..2 {
            let folds: std::collections::BTreeSet<usize> =
                (0..8).filter(|i| classes[*i] == c).map(|i| f[i]).collect();
            assert_eq!(folds.len(), 2, "class {c} in both folds");
        }
    }

    #[test]
    fn scores_and_confusion() {
        let s = Scores::new(&[0, 0, 1, 1], &[0, 1, 1, 1], 2);
        assert_eq!(s.confusion, vec![vec![1, 1], vec![0, 2]]);
        assert!((s.accuracy() - 0.75).abs() < 1e-9);
        assert!((s.per_class[1].precision() - 2.0 / 3.0).abs() < 1e-9);
    }
}
