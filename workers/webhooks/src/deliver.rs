//! One attempt of `webhooks.deliver`.
//!
//! The outcome is decided from the receiver's answer, as Standard Webhooks describes it:
//! - 2xx: delivered.
//! - 410 Gone: the receiver wants no more; the endpoint is turned off and its pending deliveries fail.
//! - 429, 502, 504: the receiver is overloaded; its bucket (`webhooks:<host>`) is paused for
//!   `Retry-After` (or the next step of the schedule) across every worker, and the attempt is not counted.
//! - anything else (3xx included: redirects are not followed), a timeout after 15 s, a refused or failed
//!   connection: a failure, retried on [`RETRY_SCHEDULE`] with jitter; after the last step the delivery
//!   is failed. An endpoint whose every attempt failed for `WEBHOOK_DISABLE_AFTER_HOURS` is turned off.
//!
//! Every attempt is written to the delivery log with its status, latency and the first 1,000 characters
//! of the answer. Nothing of the body or the answer is logged.

use std::time::{Duration, Instant};

use chrono::Utc;
use crm_queue::runtime::JobError;
use rand::Rng;
use serde_json::json;
use shared::db::{DbError, run_blocking};
use shared::jobs::payloads::webhooks::RETRY_SCHEDULE;
use shared::models::event;
use shared::models::webhook::{
    self as wh, DeliveryState, NewAttempt, WebhookDelivery, WebhookDeliveryId, WebhookEndpoint,
};

use crate::WebhookEnv;
use crate::sign::{SigningKey, signature_header};

/// The whole exchange with a receiver, connection included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Characters of the answer kept in the log.
const EXCERPT_CHARS: usize = 1_000;
/// Bytes of the answer read at most (the rest is not downloaded).
const READ_BYTES: usize = 4_096;
/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10 * 3_600);

/// Which attempt this is.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    /// 1-based, as the runtime counts it.
    pub number: u32,
    pub max: u32,
    /// An admin's replay: one attempt, no schedule after it.
    pub manual: bool,
}

/// What the receiver did.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Status {
        status: u16,
        retry_after: Option<Duration>,
        excerpt: String,
    },
    /// No answer: the error, without the URL nor the peer's bytes.
    NoAnswer(String),
}

/// Runs one attempt of delivery `id`. `Ok` with a summary when the delivery is settled for this job
/// (delivered, failed for good, skipped); `Err` to retry ([`JobError::Transient`] with the schedule's
/// delay) or to pause the receiver's bucket ([`JobError::Throttled`]).
pub async fn run(
    env: &WebhookEnv,
    id: WebhookDeliveryId,
    attempt: Attempt,
) -> Result<serde_json::Value, JobError> {
    let found = run_blocking(&env.pool, move |c| {
        let Some(delivery) = wh::find_delivery(c, id)? else {
            return Ok(None);
        };
        Ok(wh::find(c, delivery.endpoint_id)?.map(|e| (delivery, e)))
    })
    .await
    .map_err(|e| JobError::db(e, "loading the delivery"))?;
    let Some((delivery, endpoint)) = found else {
        // Deleted with its endpoint: nothing to do.
        return Ok(json!({ "skipped": "delivery or endpoint deleted" }));
    };
    if delivery.state != "pending" {
        return Ok(json!({ "skipped": format!("delivery is {}", delivery.state) }));
    }
    // An admin's test or replay may reach a disabled endpoint (to check a fix); scheduled attempts not.
    if !endpoint.active && !attempt.manual {
        let reason = "endpoint is disabled";
        run_blocking(&env.pool, move |c| {
            wh::fail_pending_of(c, endpoint.id, reason).map(drop)
        })
        .await
        .map_err(|e| JobError::db(e, "failing deliveries of a disabled endpoint"))?;
        return Ok(json!({ "skipped": reason }));
    }
    let keys = signing_keys(env, &endpoint)?;
    let started = Instant::now();
    let answer = post(env, &endpoint, &delivery, &keys).await;
    let latency_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    settle(env, &endpoint, &delivery, attempt, answer, latency_ms).await
}

/// The endpoint's secret, and the previous one while the rotation's overlap lasts.
fn signing_keys(env: &WebhookEnv, endpoint: &WebhookEndpoint) -> Result<Vec<SigningKey>, JobError> {
    let secrets = env.secrets.as_ref().ok_or_else(|| {
        JobError::permanent(anyhow::anyhow!(
            "MAIL_ENCRYPTION_KEY is not set: webhook secrets cannot be read"
        ))
    })?;
    let open = |sealed: &[u8]| -> Result<SigningKey, JobError> {
        let secret = secrets
            .decrypt_str(sealed)
            .map_err(|e| JobError::permanent(anyhow::Error::new(e).context("webhook secret")))?;
        use secrecy::ExposeSecret;
        SigningKey::parse(secret.expose_secret())
            .map_err(|e| JobError::permanent(anyhow::Error::new(e).context("webhook secret")))
    };
    let mut keys = vec![open(&endpoint.secret_enc)?];
    if let (Some(prev), Some(until)) = (
        &endpoint.previous_secret_enc,
        endpoint.previous_secret_until,
    ) && until > Utc::now()
    {
        keys.push(open(prev)?);
    }
    Ok(keys)
}

async fn post(
    env: &WebhookEnv,
    endpoint: &WebhookEndpoint,
    delivery: &WebhookDelivery,
    keys: &[SigningKey],
) -> Answer {
    let body = match serde_json::to_vec(&delivery.payload) {
        Ok(b) => b,
        Err(e) => return Answer::NoAnswer(format!("encoding the body: {e}")),
    };
    let timestamp = Utc::now().timestamp();
    let signature = signature_header(keys, &delivery.message_id, timestamp, &body);
    let url = match url::Url::parse(&endpoint.url) {
        Ok(u) => u,
        Err(_) => return Answer::NoAnswer("the endpoint URL is not a URL".into()),
    };
    let request = env
        .http
        .client()
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &delivery.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .build();
    let request = match request {
        Ok(r) => r,
        Err(e) => return Answer::NoAnswer(format!("building the request: {}", e.without_url())),
    };
    match env.http.execute(request).await {
        Ok(response) => {
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            let excerpt = read_excerpt(response).await;
            Answer::Status {
                status,
                retry_after,
                excerpt,
            }
        }
        Err(e) => Answer::NoAnswer(describe(&e)),
    }
}

/// The error and its causes, one line (reqwest's say "operation timed out", "connection refused"…).
fn describe(e: &egress::EgressError) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text.chars().take(500).collect()
}

/// `Retry-After` in seconds (an HTTP date is read too), capped at [`MAX_RETRY_AFTER`].
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let secs = match value.parse::<u64>() {
        Ok(s) => s,
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            u64::try_from((at.with_timezone(&Utc) - Utc::now()).num_seconds().max(0)).ok()?
        }
    };
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// The first [`EXCERPT_CHARS`] characters of the answer, reading at most [`READ_BYTES`].
async fn read_excerpt(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < READ_BYTES {
        match tokio::time::timeout(Duration::from_secs(2), response.chunk()).await {
            Ok(Ok(Some(chunk))) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(READ_BYTES);
    String::from_utf8_lossy(&bytes)
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .take(EXCERPT_CHARS)
        .collect()
}

/// The delay after failed attempt `n` (1-based): the schedule's step, plus up to 10 % of it as jitter.
pub fn retry_delay(n: u32) -> Duration {
    let step = RETRY_SCHEDULE
        .get(n.saturating_sub(1) as usize)
        .copied()
        .unwrap_or(RETRY_SCHEDULE[RETRY_SCHEDULE.len() - 1]);
    let jitter_ms = rand::rng().random_range(0..=step.as_millis() as u64 / 10);
    step + Duration::from_millis(jitter_ms)
}

async fn settle(
    env: &WebhookEnv,
    endpoint: &WebhookEndpoint,
    delivery: &WebhookDelivery,
    attempt: Attempt,
    answer: Answer,
    latency_ms: i32,
) -> Result<serde_json::Value, JobError> {
    let (status, excerpt, error) = match &answer {
        Answer::Status {
            status, excerpt, ..
        } => (Some(i32::from(*status)), Some(excerpt.clone()), None),
        Answer::NoAnswer(e) => (None, None, Some(e.clone())),
    };
    let success = matches!(answer, Answer::Status { status, .. } if (200..300).contains(&status));
    let gone = matches!(answer, Answer::Status { status: 410, .. });
    let throttle = match &answer {
        Answer::Status {
            status: 429 | 502 | 504,
            retry_after,
            ..
        } => Some(retry_after.unwrap_or_else(|| retry_delay(attempt.number))),
        _ => None,
    };
    let last = attempt.manual || attempt.number >= attempt.max;
    let retry_in = (!success && !gone && !last)
        .then(|| throttle.unwrap_or_else(|| retry_delay(attempt.number)));
    let state = if success {
        DeliveryState::Succeeded
    } else if let Some(d) = retry_in {
        DeliveryState::Retry(Utc::now() + chrono::Duration::from_std(d).unwrap_or_default())
    } else {
        DeliveryState::Failed
    };
    let error_text = error.clone().or_else(|| {
        status
            .filter(|_| !success)
            .map(|s| format!("the receiver answered {s}"))
    });
    let log = NewAttempt {
        delivery_id: delivery.id,
        attempt: delivery.attempts + 1,
        status,
        latency_ms,
        response_excerpt: excerpt,
        error: error_text.clone(),
        manual: attempt.manual,
    };
    let endpoint_id = endpoint.id;
    let disable_after = chrono::Duration::from_std(env.config.disable_after).unwrap_or_default();
    let disabled = run_blocking(&env.pool, move |c| {
        wh::record_attempt(c, &log, state)?;
        let failing_since = wh::mark_health(c, endpoint_id, success)?;
        let reason = if gone {
            Some("gone")
        } else if failing_since.is_some_and(|since| Utc::now() - since >= disable_after) {
            Some("failing")
        } else {
            None
        };
        match reason {
            Some(r) => disable_endpoint(c, endpoint_id, r),
            None => Ok(None),
        }
    })
    .await
    .map_err(|e| JobError::db(e, "recording the attempt"))?;
    metrics::counter!(
        "webhook_attempts_total",
        "outcome" => if success { "delivered" } else if throttle.is_some() { "throttled" } else { "failed" }
    )
    .increment(1);
    tracing::info!(
        delivery_id = delivery.id.0,
        endpoint_id = endpoint.id.0,
        status = status.unwrap_or(0),
        latency_ms,
        "webhook attempt"
    );
    let summary = json!({
        "delivered": success,
        "status": status,
        "latency_ms": latency_ms,
        "endpoint_disabled": disabled,
    });
    match (retry_in, disabled) {
        (Some(delay), None) => {
            let cause = anyhow::anyhow!(error_text.unwrap_or_else(|| "failed".into()));
            Err(match throttle {
                Some(_) => JobError::throttled(cause, delay),
                None => JobError::Transient {
                    error: cause,
                    retry_in: Some(delay),
                },
            })
        }
        _ => Ok(summary),
    }
}

/// Turns endpoint `id` off for `reason`, fails its pending deliveries and writes the
/// `webhook.endpoint.disabled` event (admins are notified) — once, whoever gets there first.
pub fn disable_endpoint(
    conn: &mut diesel::PgConnection,
    id: wh::WebhookEndpointId,
    reason: &str,
) -> Result<Option<String>, DbError> {
    use diesel::Connection;
    conn.transaction(|c| {
        if !wh::disable(c, id, reason)? {
            return Ok(None);
        }
        wh::fail_pending_of(c, id, &format!("endpoint disabled ({reason})"))?;
        event::emit(
            c,
            "webhook.endpoint.disabled",
            &json!({ "endpoint_id": id.0, "reason": reason }),
        )?;
        Ok(Some(reason.to_owned()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates_and_is_capped() {
        assert_eq!(parse_retry_after("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("999999999"), Some(MAX_RETRY_AFTER));
        let soon = (Utc::now() + chrono::Duration::seconds(120)).to_rfc2822();
        let d = parse_retry_after(&soon).unwrap_or_default();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn the_schedule_is_followed_with_at_most_ten_percent_jitter() {
        for (n, step) in RETRY_SCHEDULE.iter().enumerate() {
            let d = retry_delay(n as u32 + 1);
            assert!(d >= *step && d <= *step + *step / 10, "{n}: {d:?}");
        }
    }
}
