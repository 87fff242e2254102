//! Intent of a message: one of the 11 labels of INTENTS.md with its precedence rule, and a
//! calibrated confidence.

pub mod auto;
pub mod calibration;
pub mod model;
pub mod request;
pub mod rules;

use crate::analysis::{Intent, IntentLabel, Language, Source};
use crate::text::{fold, re};
pub use auto::HeaderEvidence;
use calibration::Tier;
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Score a label needs to be retained.
pub const FIRE: f64 = 2.0;
/// Score with which a label is taken when no label reaches [`FIRE`].
pub const WEAK: f64 = 1.0;
/// Longest own text (bytes) read for intent.
pub(crate) const MAX_TEXT: usize = 12 * 1024;

pub(crate) static REPLY_SUBJECT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*((re|r|tr|fw|fwd|aw|wg|rif|sv|vs|ref|réf)\s*(\[\d+\])?\s*:\s*)+"));

/// What intent detection reads.
#[derive(Debug, Clone, Copy)]
pub struct IntentInput<'a> {
    pub subject: &'a str,
    /// The author's own text without quoted history, disclaimer and signature block.
    pub text: &'a str,
    /// The author's own text with its signature (absence replies are often all signature).
    pub own_text: &'a str,
    /// The whole decoded body (for delivery-failure wording).
    pub full_body: &'a str,
    pub headers: &'a HeaderEvidence,
    /// Language of the author's text (the request detector reads English sentences).
    pub language: Language,
}

/// Label scores of a text, before the precedence rule.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    pub by_label: HashMap<IntentLabel, f64>,
    pub fired_rules: Vec<&'static str>,
}

/// Split a text into sentences (line breaks and `.`, `?`, `!` followed by a space).
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut cur = String::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            cur.push(c);
            if matches!(c, '.' | '?' | '!') && chars.peek().is_none_or(|n| n.is_whitespace()) {
                let t = cur.trim();
                if !t.is_empty() {
                    out.push(t.to_string());
                }
                cur.clear();
            }
        }
        let t = cur.trim();
        if !t.is_empty() {
            out.push(t.to_string());
        }
    }
    out
}

/// Rule scores of a text (and of the subject, for new messages).
pub fn score(subject: &str, text: &str) -> Scores {
    let mut s = Scores::default();
    let mut sents: Vec<String> = sentences(crate::text::truncate(text, MAX_TEXT));
    let is_reply = REPLY_SUBJECT.is_match(subject);
    if !is_reply && !subject.trim().is_empty() {
        // the subject of a new message says what it is about; of a reply, what the other side wrote
        sents.push(subject.trim().to_string());
    }
    for sent in &sents {
        let f = fold(sent);
        if auto::is_footer_sentence(&f) {
            continue;
        }
        let f = rules::NOISE.replace_all(&f, " ");
        let asks = rules::REQUEST.is_match(&f);
        let negated = rules::NEGATION.is_match(&f);
        for r in rules::RULES.iter() {
            if (r.ctx && !asks) || (r.positive_only && negated) {
                continue;
            }
            if r.re.is_match(&f) {
                *s.by_label.entry(r.label).or_insert(0.0) += r.weight;
                if !s.fired_rules.contains(&r.name) {
                    s.fired_rules.push(r.name);
                }
            }
        }
    }
    s
}

/// Classify a message: header and wording evidence of bounces and absence replies first (guards),
/// bulk mail is `other`, then the trained model (rules as features) when one is embedded, else the
/// rules alone. The request detector's verdict is attached to every result.
pub fn classify(input: &IntentInput<'_>) -> Intent {
    let request = request::probability(input.text);
    let mut intent = decide(input, request);
    if let Some((p, threshold)) = request {
        intent.request = p >= threshold;
        intent.request_probability = Some((f64::from(p) * 1000.0).round() / 1000.0);
    }
    intent
}

/// Labels that ask for something specific (the request detector's "yes" on a lone sentence).
const REQUEST_LABELS: [IntentLabel; 3] = [
    IntentLabel::MeetingRequest,
    IntentLabel::InformationRequest,
    IntentLabel::QuoteRequest,
];

/// The model's decision. A lone English sentence is the request detector's unit: its verdict
/// decides between the request labels and the others (the intent model was trained on whole
/// emails); the intent model's probabilities still choose which label within each side.
fn decide_with_model(
    m: &crate::model::Linear,
    input: &IntentInput<'_>,
    scores: Scores,
    request: Option<(f32, f32)>,
) -> Intent {
    let units: Vec<crate::model::Sparse> = model::units(input.subject, input.text)
        .iter()
        .map(|u| model::sentence_features(u))
        .collect();
    let label_scores = model::label_scores(m, &units);
    let (mut best, mut conf) = model::decide(&label_scores, m.threshold);
    let lone_sentence =
        input.language == Language::En && input.subject.trim().is_empty() && units.len() == 1;
    if lone_sentence && let Some((q, threshold)) = request {
        let label = IntentLabel::ALL[best];
        let asks = q >= threshold;
        let overridable = matches!(
            label,
            IntentLabel::Interested | IntentLabel::NotInterested | IntentLabel::Other
        ) || REQUEST_LABELS.contains(&label);
        if overridable && asks != REQUEST_LABELS.contains(&label) {
            if asks {
                best = (0..label_scores.len())
                    .filter(|i| REQUEST_LABELS.contains(&IntentLabel::ALL[*i]))
                    .max_by(|a, b| label_scores[*a].total_cmp(&label_scores[*b]))
                    .unwrap_or(best);
                conf = q;
            } else {
                best = model::other_index();
                conf = 1.0 - q;
            }
        }
    }
    Intent {
        label: IntentLabel::ALL[best],
        confidence: (f64::from(conf) * 100.0).round() / 100.0,
        source: Source::Rules,
        evidence: scores.fired_rules.into_iter().map(str::to_string).collect(),
        tier: "model",
        ..Intent::default()
    }
}

/// `request`: the request detector's best probability and threshold for this text.
fn decide(input: &IntentInput<'_>, request: Option<(f32, f32)>) -> Intent {
    let h = input.headers;
    if let Some(kind) = auto::bounce(h, input.subject, input.full_body) {
        return finish(IntentLabel::Bounce, Tier::Auto(kind), vec!["bounce"]);
    }
    if let Some(kind) = auto::out_of_office(h, input.subject, input.own_text) {
        return finish(
            IntentLabel::OutOfOffice,
            Tier::Auto(kind),
            vec!["out_of_office"],
        );
    }
    let scores = score(input.subject, input.text);
    if auto::is_bulk(h, input.full_body) {
        return finish(IntentLabel::Other, Tier::Bulk, scores.fired_rules);
    }
    if let Some(m) = model::get() {
        if input.text.trim().is_empty() && input.subject.trim().is_empty() {
            return finish(IntentLabel::Other, Tier::OtherClean, scores.fired_rules);
        }
        return decide_with_model(m, input, scores, request);
    }
    let mut fired: Vec<(IntentLabel, f64)> = scores
        .by_label
        .iter()
        .filter(|(_, v)| **v >= FIRE)
        .map(|(k, v)| (*k, *v))
        .collect();
    fired.sort_by_key(|(l, _)| std::cmp::Reverse(l.precedence()));
    let Some(&(label, sc)) = fired.first() else {
        // no label reached FIRE: the best label with some evidence, else other
        let best = scores
            .by_label
            .iter()
            .filter(|(_, v)| **v >= WEAK)
            .max_by(|a, b| {
                a.1.partial_cmp(b.1)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.0.precedence().cmp(&b.0.precedence()))
            });
        if let Some((l, _)) = best {
            return finish(*l, Tier::Weak, scores.fired_rules);
        }
        let tier = if scores.by_label.values().any(|v| *v > 0.0) {
            Tier::OtherWeak
        } else {
            Tier::OtherClean
        };
        return finish(IntentLabel::Other, tier, scores.fired_rules);
    };
    let tier = Tier::Content {
        strong: sc >= 3.0,
        contested: fired.len() > 1,
    };
    finish(label, tier, scores.fired_rules)
}

fn finish(label: IntentLabel, tier: Tier, evidence: Vec<&'static str>) -> Intent {
    Intent {
        label,
        confidence: calibration::confidence(label, tier),
        source: Source::Rules,
        evidence: evidence.into_iter().map(str::to_string).collect(),
        tier: tier.name(),
        ..Intent::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntentLabel::*;

    fn label(text: &str) -> IntentLabel {
        let h = HeaderEvidence::default();
        classify(&IntentInput {
            subject: "",
            text,
            own_text: text,
            full_body: text,
            headers: &h,
            language: crate::lang::detect(text),
        })
        .label
    }

    #[test]
    fn precedence_examples_of_intents_md() {
        assert_eq!(
            label("Stop sending me emails and delete my data."),
            GdprRequest
        );
        assert_eq!(
            label("Your mails are unbearable, take me off your lists."),
            Unsubscribe
        );
        assert_eq!(
            label(
                "Wrong fees on my statement, this is unacceptable, and I want a meeting with the branch manager."
            ),
            Complaint
        );
        assert_eq!(
            label("Send me the prospectus and your fee grid."),
            QuoteRequest
        );
        assert_eq!(
            label("Interesting fund; could we set up a call with the manager?"),
            MeetingRequest
        );
        assert_eq!(
            label("I'm very interested, but how does the early redemption work?"),
            InformationRequest
        );
    }

    #[test]
    fn french_basics() {
        assert_eq!(
            label("Merci de me retirer de votre liste de diffusion."),
            Unsubscribe
        );
        assert_eq!(
            label("Pourriez-vous m'envoyer le DIC et le dernier reporting ?"),
            InformationRequest
        );
        assert_eq!(
            label("Pourriez-vous nous faire parvenir un devis ?"),
            QuoteRequest
        );
        assert_eq!(label("Votre proposition m'intéresse beaucoup."), Interested);
        assert_eq!(label("Je ne suis pas intéressé, merci."), NotInterested);
        assert_eq!(label("Bien reçu, merci."), Other);
        assert_eq!(
            label(
                "J'ai un rendez-vous client jeudi et je voudrais avoir le DIC à jour, pouvez-vous me l'envoyer ?"
            ),
            InformationRequest
        );
    }

    #[test]
    fn out_of_office_wins_over_quoted_request() {
        let h = HeaderEvidence {
            auto_submitted: Some("auto-replied".into()),
            ..Default::default()
        };
        let body = "Je suis absent jusqu'au 10 novembre.\n\nLe lun. 3 nov. 2025, X a écrit :\n> Pouvons-nous caler un rendez-vous ?";
        let own = "Je suis absent jusqu'au 10 novembre.";
        let i = classify(&IntentInput {
            subject: "Réponse automatique : RDV",
            text: own,
            own_text: own,
            full_body: body,
            headers: &h,
            language: Language::Fr,
        });
        assert_eq!(i.label, OutOfOffice);
        assert!(i.confidence > 0.8);
    }

    #[test]
    fn sentence_split() {
        assert_eq!(
            sentences("Bonjour. Comment ça va ? Bien!\nOui"),
            vec!["Bonjour.", "Comment ça va ?", "Bien!", "Oui"]
        );
    }
}
