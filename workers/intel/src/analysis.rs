//! The result types. Their serde form is the command-line contract of `workers analyze`:
//! `{"language", "intent": {"label", "confidence", "source"}, "signature": {"block", "name", "title",
//! "company", "phones", "emails", "urls", "linkedin", "address", ...}, "entities", "keywords"}`.
//! Keys beyond those (confidences, phone details, evidence) are additions; the listed ones never change.

use serde::{Deserialize, Serialize};

/// Version of the built-in analyser, stored with every result so a re-analysis can target old results.
pub const ANALYZER_VERSION: &str = concat!(
    "models-",
    env!("CARGO_PKG_VERSION"),
    "+",
    env!("INTEL_MODELS_ID")
);

/// Language of the author's own text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Fr,
    En,
    #[default]
    Other,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::En => "en",
            Language::Other => "other",
        }
    }
}

/// The 11 intent labels of `INTENTS.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentLabel {
    MeetingRequest,
    InformationRequest,
    QuoteRequest,
    Interested,
    NotInterested,
    Complaint,
    Unsubscribe,
    GdprRequest,
    OutOfOffice,
    Bounce,
    Other,
}

impl IntentLabel {
    pub const ALL: [IntentLabel; 11] = [
        IntentLabel::MeetingRequest,
        IntentLabel::InformationRequest,
        IntentLabel::QuoteRequest,
        IntentLabel::Interested,
        IntentLabel::NotInterested,
        IntentLabel::Complaint,
        IntentLabel::Unsubscribe,
        IntentLabel::GdprRequest,
        IntentLabel::OutOfOffice,
        IntentLabel::Bounce,
        IntentLabel::Other,
    ];

    /// Precedence of `INTENTS.md`: the kinds of message (`bounce`, `out_of_office`) always win,
    /// then `gdpr_request > unsubscribe > complaint > quote_request > meeting_request >
    /// information_request > interested > not_interested > other`. Higher wins.
    pub fn precedence(self) -> u8 {
        match self {
            IntentLabel::Bounce => 11,
            IntentLabel::OutOfOffice => 10,
            IntentLabel::GdprRequest => 9,
            IntentLabel::Unsubscribe => 8,
            IntentLabel::Complaint => 7,
            IntentLabel::QuoteRequest => 6,
            IntentLabel::MeetingRequest => 5,
            IntentLabel::InformationRequest => 4,
            IntentLabel::Interested => 3,
            IntentLabel::NotInterested => 2,
            IntentLabel::Other => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IntentLabel::MeetingRequest => "meeting_request",
            IntentLabel::InformationRequest => "information_request",
            IntentLabel::QuoteRequest => "quote_request",
            IntentLabel::Interested => "interested",
            IntentLabel::NotInterested => "not_interested",
            IntentLabel::Complaint => "complaint",
            IntentLabel::Unsubscribe => "unsubscribe",
            IntentLabel::GdprRequest => "gdpr_request",
            IntentLabel::OutOfOffice => "out_of_office",
            IntentLabel::Bounce => "bounce",
            IntentLabel::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<IntentLabel> {
        IntentLabel::ALL
            .into_iter()
            .find(|l| l.as_str() == s.trim())
    }
}

/// Who produced a result: the built-in rules, or an LLM provider placed in front of them
/// (serialised as the provider's name, e.g. `"ollama"` or `"openai:gpt-4o-mini"`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Source {
    #[default]
    Rules,
    Provider(String),
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Source::Rules => s.serialize_str("rules"),
            Source::Provider(p) => s.serialize_str(p),
        }
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(if s == "rules" {
            Source::Rules
        } else {
            Source::Provider(s)
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    pub label: IntentLabel,
    /// Calibrated probability that `label` is right (see `intent::calibration`).
    pub confidence: f64,
    pub source: Source,
    /// Names of the rules that fired, for the label chosen and the others (debugging, audit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// Whether the author's text asks for or proposes something (the request detector's verdict on
    /// its most request-like sentence), and that sentence's probability; `None` without a model.
    #[serde(default)]
    pub request: bool,
    #[serde(default)]
    pub request_probability: Option<f64>,
    /// How the built-in decision was reached (calibration tier); not serialised.
    #[serde(skip)]
    pub tier: &'static str,
}

impl Default for Intent {
    fn default() -> Self {
        Intent {
            label: IntentLabel::Other,
            confidence: 0.0,
            source: Source::Rules,
            evidence: Vec::new(),
            request: false,
            request_probability: None,
            tier: "",
        }
    }
}

/// Kind of a phone line, from its label (Mob., Portable, Ligne directe...) or its number plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    Mobile,
    Landline,
    #[default]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phone {
    /// E.164, e.g. `+33142000000`.
    pub e164: String,
    pub kind: PhoneKind,
    /// The text as written.
    pub raw: String,
}

/// Per-field confidence in [0, 1]; a field that was not found has 0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldConfidence {
    pub name: f64,
    pub title: f64,
    pub company: f64,
    pub phones: f64,
    pub emails: f64,
    pub urls: f64,
    pub linkedin: f64,
    pub address: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    pub block: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub company: Option<String>,
    /// E.164 numbers (fax numbers excluded: see `fax`).
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    /// Websites, LinkedIn excluded (see `linkedin`).
    pub urls: Vec<String>,
    pub linkedin: Option<String>,
    pub address: Option<String>,
    /// Fax numbers, E.164 (not part of `phones`).
    #[serde(default)]
    pub fax: Vec<String>,
    #[serde(default)]
    pub phone_details: Vec<Phone>,
    #[serde(default)]
    pub confidence: FieldConfidence,
    /// Mean confidence of the fields found, 0 when nothing was found.
    #[serde(default)]
    pub overall_confidence: f64,
    #[serde(default)]
    pub source: Source,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entities {
    pub people: Vec<String>,
    pub organisations: Vec<String>,
    pub places: Vec<String>,
    pub dates: Vec<String>,
    /// Phone numbers found anywhere in the author's text, E.164.
    pub phones: Vec<String>,
    /// Email addresses found anywhere in the author's text.
    pub emails: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub language: Language,
    pub intent: Intent,
    pub signature: Signature,
    pub entities: Entities,
    pub keywords: Vec<String>,
    /// Version of the built-in analyser that produced the result.
    #[serde(default)]
    pub analyzer: String,
}

/// What an LLM provider answered, to be placed in front of the built-in result with
/// [`Analysis::apply_provider`]. Every field is optional: what the provider left out is kept from
/// the built-in analyser.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderResult {
    /// Provider (and model) name, recorded as `source`.
    pub provider: String,
    pub intent: Option<(IntentLabel, f64)>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub company: Option<String>,
    pub phones: Option<Vec<String>>,
    pub emails: Option<Vec<String>>,
    pub urls: Option<Vec<String>>,
    pub linkedin: Option<String>,
    pub address: Option<String>,
}

impl Analysis {
    /// Overlay a provider's answer on the built-in analysis. Phones given by the provider are
    /// normalised to E.164 like the built-in ones (numbers that cannot be read are dropped).
    pub fn apply_provider(&mut self, p: &ProviderResult) {
        let src = Source::Provider(p.provider.clone());
        if let Some((label, conf)) = p.intent {
            self.intent = Intent {
                label,
                confidence: conf.clamp(0.0, 1.0),
                source: src.clone(),
                evidence: Vec::new(),
                request: self.intent.request,
                request_probability: self.intent.request_probability,
                tier: "provider",
            };
        }
        let sig = &mut self.signature;
        let mut touched = false;
        let mut set = |slot: &mut Option<String>, v: &Option<String>, c: &mut f64| {
            if let Some(v) = v.as_ref().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                *slot = Some(v.to_string());
                *c = c.max(0.8);
                touched = true;
            }
        };
        set(&mut sig.name, &p.name, &mut sig.confidence.name);
        set(&mut sig.title, &p.title, &mut sig.confidence.title);
        set(&mut sig.company, &p.company, &mut sig.confidence.company);
        set(&mut sig.linkedin, &p.linkedin, &mut sig.confidence.linkedin);
        set(&mut sig.address, &p.address, &mut sig.confidence.address);
        if let Some(phones) = &p.phones {
            let v: Vec<String> = phones
                .iter()
                .filter_map(|s| crate::contact::phone::normalize(s).map(|p| p.e164))
                .collect();
            if !v.is_empty() {
                sig.phones = v;
                touched = true;
            }
        }
        if let Some(e) = &p.emails {
            sig.emails = e.clone();
            touched = true;
        }
        if let Some(u) = &p.urls {
            sig.urls = u.clone();
            touched = true;
        }
        if touched {
            sig.source = src;
            sig.overall_confidence = crate::signature::overall_confidence(sig);
        }
    }
}
