//! SendGrid's Event Webhook: the signature check of its "Signed Event Webhook" (ECDSA P-256 with SHA-256
//! over the `X-Twilio-Email-Event-Webhook-Timestamp` header value followed by the raw body, the signature
//! base64 DER in `X-Twilio-Email-Event-Webhook-Signature`), and the reading of its JSON array of events.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::DigestVerifier as _;
use p256::ecdsa::{DerSignature, VerifyingKey};
use p256::pkcs8::DecodePublicKey as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::BounceKind;

/// Largest request body read.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most events read from one request.
pub const MAX_EVENTS: usize = 10_000;
/// Custom argument (SendGrid `custom_args`, sent back as a top-level key of each event) naming our send.
pub const SEND_REF_ARG: &str = "crm_send";
/// Longest address accepted.
const MAX_ADDRESS_LEN: usize = 320;

/// Why a webhook request's signature was refused. Messages name no request content.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// The configured key is not base64 of a P-256 SubjectPublicKeyInfo.
    #[error("the SendGrid verification key is not a base64 DER P-256 public key")]
    InvalidKey,
    /// The signature header is not base64 of a DER ECDSA signature.
    #[error("the webhook signature is not a base64 DER ECDSA signature")]
    MalformedSignature,
    /// The timestamp header is not a unix time in seconds.
    #[error("the webhook timestamp is not a unix time")]
    MalformedTimestamp,
    /// The timestamp is outside the accepted window (a replay, or a clock far off).
    #[error("the webhook timestamp is outside the accepted window")]
    StaleTimestamp,
    /// The signature does not match the timestamp and body.
    #[error("the webhook signature does not match")]
    Mismatch,
}

/// Why a webhook body was refused as a whole.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    /// The body is larger than [`MAX_BODY_BYTES`].
    #[error("the webhook body exceeds {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// The body is not a JSON array.
    #[error("the webhook body is not a JSON array")]
    NotArray,
    /// The array holds more than [`MAX_EVENTS`] events.
    #[error("the webhook body holds more than {MAX_EVENTS} events")]
    TooManyEvents,
}

/// Checks SendGrid's signature with the account's verification key.
#[derive(Debug, Clone)]
pub struct SendgridVerifier {
    key: VerifyingKey,
}

impl SendgridVerifier {
    /// Reads the verification key as SendGrid shows it: base64 of a DER SubjectPublicKeyInfo. A PEM
    /// armour around it is tolerated.
    pub fn from_base64_der(key: &str) -> Result<Self, SignatureError> {
        let base64: String = key
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .flat_map(|line| line.chars().filter(|c| !c.is_whitespace()))
            .collect();
        let der = STANDARD
            .decode(base64)
            .map_err(|_| SignatureError::InvalidKey)?;
        let key =
            VerifyingKey::from_public_key_der(&der).map_err(|_| SignatureError::InvalidKey)?;
        Ok(Self { key })
    }

    /// Checks the signature over `timestamp` followed by `body`, and that the timestamp (unix seconds) is
    /// within `tolerance_secs` of `now` (replay protection). `timestamp` and `signature_b64` are the
    /// header values as received; the body is the raw bytes, before any JSON parsing.
    pub fn verify(
        &self,
        timestamp: &str,
        body: &[u8],
        signature_b64: &str,
        now: i64,
        tolerance_secs: i64,
    ) -> Result<(), SignatureError> {
        let sent: i64 = if !timestamp.is_empty() && timestamp.bytes().all(|b| b.is_ascii_digit()) {
            timestamp
                .parse()
                .map_err(|_| SignatureError::MalformedTimestamp)?
        } else {
            return Err(SignatureError::MalformedTimestamp);
        };
        if now.abs_diff(sent) > tolerance_secs.max(0).unsigned_abs() {
            return Err(SignatureError::StaleTimestamp);
        }
        let der = STANDARD
            .decode(signature_b64.trim())
            .map_err(|_| SignatureError::MalformedSignature)?;
        let signature =
            DerSignature::from_bytes(&der).map_err(|_| SignatureError::MalformedSignature)?;
        let digest = Sha256::new()
            .chain_update(timestamp.as_bytes())
            .chain_update(body);
        self.key
            .verify_digest(digest, &signature)
            .map_err(|_| SignatureError::Mismatch)
    }
}

/// What happened to a message, as SendGrid reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderEventKind {
    /// Accepted by SendGrid, ready to send.
    Processed,
    /// Accepted by the receiving server.
    Delivered,
    /// Temporarily refused by the receiving server; SendGrid retries.
    Deferred,
    /// Refused by the receiving server. SendGrid's `type` decides: "bounce" (permanent, per SendGrid) is
    /// hard; "blocked" (SendGrid: refused "temporarily", mostly reputation or policy blocks) is soft.
    /// A bounce without a `type` (older payloads) is hard, as SendGrid's bounce event was then.
    Bounce(BounceKind),
    /// Not sent by SendGrid (suppressed address, invalid, ...).
    Dropped,
    /// The open pixel was loaded.
    Open,
    /// A tracked link was followed.
    Click,
    /// The recipient marked the message as spam.
    SpamReport,
    /// The recipient unsubscribed from everything.
    Unsubscribe,
    /// The recipient unsubscribed from one group.
    GroupUnsubscribe,
    /// Any other event (group_resubscribe, account events, new kinds).
    Other,
}

/// One event of a webhook batch, with the fields we act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderEvent {
    /// `sg_event_id`, unique per event: the key to drop SendGrid's repeated deliveries.
    pub event_id: Option<String>,
    /// What happened.
    pub kind: ProviderEventKind,
    /// The recipient, lower-cased.
    pub email: String,
    /// When it happened, unix seconds.
    pub timestamp: i64,
    /// Our custom argument [`SEND_REF_ARG`], naming the send.
    pub send_ref: Option<String>,
    /// The link followed, for a click.
    pub url: Option<String>,
    /// SendGrid's `sg_machine_open`: an open by a machine (Apple Mail Privacy Protection prefetching the
    /// pixel), not by a person.
    pub machine_open: bool,
}

/// Reads a webhook body (a JSON array of events). An event that cannot be read is skipped and counted in
/// the second value; only a body too large, not an array, or with too many events fails as a whole.
pub fn parse(body: &[u8]) -> Result<(Vec<ProviderEvent>, usize), ParseError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ParseError::TooLarge);
    }
    let items: Vec<Value> = serde_json::from_slice(body).map_err(|_| ParseError::NotArray)?;
    if items.len() > MAX_EVENTS {
        return Err(ParseError::TooManyEvents);
    }
    let total = items.len();
    let events: Vec<ProviderEvent> = items.iter().filter_map(event).collect();
    let skipped = total - events.len();
    Ok((events, skipped))
}

fn event(item: &Value) -> Option<ProviderEvent> {
    let object = item.as_object()?;
    let email = text(object, "email").and_then(clean_address)?;
    let timestamp = match object.get("timestamp")? {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    let kind = match text(object, "event")? {
        "processed" => ProviderEventKind::Processed,
        "delivered" => ProviderEventKind::Delivered,
        "deferred" => ProviderEventKind::Deferred,
        "bounce" => ProviderEventKind::Bounce(match text(object, "type") {
            Some(t) if t.eq_ignore_ascii_case("blocked") => BounceKind::Soft,
            _ => BounceKind::Hard,
        }),
        "dropped" => ProviderEventKind::Dropped,
        "open" => ProviderEventKind::Open,
        "click" => ProviderEventKind::Click,
        "spamreport" | "spam_report" => ProviderEventKind::SpamReport,
        "unsubscribe" => ProviderEventKind::Unsubscribe,
        "group_unsubscribe" => ProviderEventKind::GroupUnsubscribe,
        _ => ProviderEventKind::Other,
    };
    let url = match kind {
        ProviderEventKind::Click => text(object, "url").map(str::to_owned),
        _ => None,
    };
    let send_ref = match object.get(SEND_REF_ARG) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let machine_open = match object.get("sg_machine_open") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    Some(ProviderEvent {
        event_id: text(object, "sg_event_id")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        kind,
        email,
        timestamp,
        send_ref,
        url,
        machine_open,
    })
}

fn text<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    object.get(key)?.as_str()
}

fn clean_address(address: &str) -> Option<String> {
    let address = address.trim();
    let valid = address.len() <= MAX_ADDRESS_LEN
        && address
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !address.chars().any(|c| c.is_whitespace() || c.is_control());
    valid.then(|| address.to_lowercase())
}
