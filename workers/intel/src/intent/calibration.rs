//! Confidence of an intent decision. Each decision falls in a tier (how it was reached); a tier's
//! confidence is its accuracy on the development set (`../shared/eval/intent`), smoothed toward a
//! prior with a Beta(10·p, 10·(1-p)) pseudo-count so that small tiers do not claim certainty.
//! `cargo run -p crm-intel --example calibrate -- /work/shared/eval` recomputes the table below from
//! the data and prints it; the numbers here are a copy of its output.
//!
//! The rules were written while looking at the same development set, so these figures are an
//! upper bound of what a new set will show.

use super::auto::AutoKind;
use crate::analysis::IntentLabel;

/// How a decision was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Bounce or absence reply from headers or wording.
    Auto(AutoKind),
    /// Bulk mail (newsletter, mass invitation): `other`.
    Bulk,
    /// A content label: `strong` when its score is 3 or more, `contested` when a lower-precedence
    /// label also fired.
    Content { strong: bool, contested: bool },
    /// No label reached the firing score; the best one with some evidence was taken.
    Weak,
    /// No label fired, and some weak evidence was seen.
    OtherWeak,
    /// No evidence at all.
    OtherClean,
}

impl Tier {
    pub fn name(self) -> &'static str {
        match self {
            Tier::Auto(AutoKind::BounceHeader) => "bounce_header",
            Tier::Auto(AutoKind::BounceText) => "bounce_text",
            Tier::Auto(AutoKind::OooHeader) => "ooo_header",
            Tier::Auto(AutoKind::OooText) => "ooo_text",
            Tier::Auto(AutoKind::OooBody) => "ooo_body",
            Tier::Bulk => "bulk",
            Tier::Content {
                strong: true,
                contested: false,
            } => "content_strong",
            Tier::Content {
                strong: true,
                contested: true,
            } => "content_strong_contested",
            Tier::Content {
                strong: false,
                contested: false,
            } => "content_medium",
            Tier::Content {
                strong: false,
                contested: true,
            } => "content_medium_contested",
            Tier::Weak => "weak",
            Tier::OtherWeak => "other_weak",
            Tier::OtherClean => "other_clean",
        }
    }

    pub const ALL: [Tier; 13] = [
        Tier::Auto(AutoKind::BounceHeader),
        Tier::Auto(AutoKind::BounceText),
        Tier::Auto(AutoKind::OooHeader),
        Tier::Auto(AutoKind::OooText),
        Tier::Auto(AutoKind::OooBody),
        Tier::Bulk,
        Tier::Content {
            strong: true,
            contested: false,
        },
        Tier::Content {
            strong: true,
            contested: true,
        },
        Tier::Content {
            strong: false,
            contested: false,
        },
        Tier::Content {
            strong: false,
            contested: true,
        },
        Tier::Weak,
        Tier::OtherWeak,
        Tier::OtherClean,
    ];

    /// Prior accuracy of the tier before seeing data (a judgement of the rule's reliability).
    pub fn prior(self) -> f64 {
        match self {
            Tier::Auto(AutoKind::BounceHeader) => 0.97,
            Tier::Auto(AutoKind::OooHeader) => 0.95,
            Tier::Auto(_) => 0.8,
            Tier::Bulk => 0.85,
            Tier::Content {
                strong: true,
                contested: false,
            } => 0.85,
            Tier::Content {
                strong: true,
                contested: true,
            } => 0.7,
            Tier::Content {
                strong: false,
                contested: false,
            } => 0.75,
            Tier::Content {
                strong: false,
                contested: true,
            } => 0.6,
            Tier::Weak => 0.5,
            Tier::OtherWeak => 0.5,
            Tier::OtherClean => 0.6,
        }
    }
}

/// Pseudo-count of the prior. Large because the rules were written looking at the development
/// set (every tier is 100 % right there), so its counts overstate the accuracy on new mail.
pub const PRIOR_WEIGHT: f64 = 10.0;

/// Smoothed accuracy: (correct + w·prior) / (total + w).
pub fn smoothed(correct: usize, total: usize, prior: f64) -> f64 {
    (correct as f64 + PRIOR_WEIGHT * prior) / (total as f64 + PRIOR_WEIGHT)
}

/// (tier name, correct, total) on the development set, from the `calibrate` example.
pub const DEV_COUNTS: &[(&str, usize, usize)] = &[
    ("bounce_header", 10, 10),
    ("ooo_header", 10, 10),
    ("bulk", 3, 3),
    ("content_strong", 51, 51),
    ("content_strong_contested", 7, 7),
    ("content_medium", 19, 19),
    ("content_medium_contested", 2, 2),
    ("weak", 1, 1),
    ("other_clean", 7, 7),
];

/// Calibrated confidence of a decision.
pub fn confidence(_label: IntentLabel, tier: Tier) -> f64 {
    let name = tier.name();
    let (c, t) = DEV_COUNTS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or((0, 0), |&(_, c, t)| (c, t));
    let v = smoothed(c, t, tier.prior());
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidences_are_probabilities_and_ordered() {
        for t in Tier::ALL {
            let c = confidence(IntentLabel::Other, t);
            assert!((0.0..=1.0).contains(&c), "{t:?} {c}");
        }
        let strong = confidence(
            IntentLabel::Complaint,
            Tier::Content {
                strong: true,
                contested: false,
            },
        );
        let weak = confidence(IntentLabel::Other, Tier::OtherWeak);
        assert!(strong > weak);
    }
}
