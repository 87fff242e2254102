use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, TimeDelta, Utc};
use crm_campaigns::bounce::BounceKind;
use crm_campaigns::bounce::sendgrid::{
    MAX_BODY_BYTES, ParseError, ProviderEvent, ProviderEventKind, SendgridVerifier, parse,
};
use crm_campaigns::feedback::{self, Event, EventKind, Source, Subject, address_hash};
use futures::StreamExt;
use serde::Serialize;
use shared::db::{DbError, run_blocking};
use shared::keyed_hash::KeyedHasher;
use shared::models::campaign::{self as model, CampaignSendId};

use crate::error::{ApiError, payload_error};
use crate::state::AppState;

const SIGNATURE_HEADER: &str = "X-Twilio-Email-Event-Webhook-Signature";
const TIMESTAMP_HEADER: &str = "X-Twilio-Email-Event-Webhook-Timestamp";
/// How far the signed timestamp may be from now (replays older than this are refused).
const TOLERANCE_SECS: i64 = 300;

/// What a batch did.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct BatchCounts {
    /// New events about one of our sends.
    pub recorded: u64,
    /// Events recorded before (SendGrid delivers again what it is not sure was received).
    pub duplicates: u64,
    /// New events about no send of ours, kept for their address only (a bounce or a complaint still
    /// suppresses it).
    pub unmatched: u64,
    /// Events not used: unreadable, or of a kind not recorded (`processed`, group resubscriptions…).
    pub skipped: u64,
}

/// SendGrid's signed Event Webhook (no bearer token: the ECDSA signature of the body authenticates it).
/// Answers 404 unless `SENDGRID_WEBHOOK_PUBLIC_KEY` is set. Deliveries, deferrals, drops, bounces (hard,
/// or soft for `blocked`), spam reports (complaints), unsubscriptions, opens (`sg_machine_open` flags a
/// machine's) and clicks are recorded once each (`sg_event_id`), against the send named by the
/// `crm_send` custom argument, else the latest send to the address. A batch with a valid signature is
/// answered 2xx even when some of its events are unusable, since SendGrid retries anything else.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/sendgrid/events",
    tag = "campaigns-public",
    params(
        ("X-Twilio-Email-Event-Webhook-Signature" = String, Header, description = "Base64 DER ECDSA P-256 signature of the timestamp followed by the body"),
        ("X-Twilio-Email-Event-Webhook-Timestamp" = String, Header, description = "Unix time of the signature; within 300 s of now"),
    ),
    request_body(content = Vec<serde_json::Value>, description = "SendGrid's JSON array of events (at most 1 MiB)", content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded", body = BatchCounts),
        (status = 400, description = "The body is not a JSON array, or holds more than 10,000 events", body = crate::error::ErrorBody),
        (status = 401, description = "Signature or timestamp header missing, invalid or stale", body = crate::error::ErrorBody),
        (status = 404, description = "The webhook is not configured", body = crate::error::ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = crate::error::ErrorBody),
        (status = 503, description = "The database is unavailable or the configured key is not valid; SendGrid retries", body = crate::error::ErrorBody),
    )
)]
pub async fn events(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let Some(key) = state.config.common.campaigns.sendgrid_public_key.as_deref() else {
        return Err(ApiError::not_found("no such endpoint"));
    };
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let (Some(signature), Some(timestamp)) = (header(SIGNATURE_HEADER), header(TIMESTAMP_HEADER))
    else {
        return Err(ApiError::Unauthorized(
            "the SendGrid signature and timestamp headers are required",
        ));
    };
    let body = read_capped(&req, payload).await?;
    let verifier = SendgridVerifier::from_base64_der(key)
        .map_err(|e| ApiError::Unavailable(anyhow::anyhow!("SENDGRID_WEBHOOK_PUBLIC_KEY: {e}")))?;
    verifier
        .verify(
            timestamp,
            &body,
            signature,
            Utc::now().timestamp(),
            TOLERANCE_SECS,
        )
        .map_err(|_| ApiError::Unauthorized("the SendGrid signature is not valid"))?;
    let (events, unreadable) = parse(&body).map_err(|e| match e {
        ParseError::TooLarge => ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        },
        other => ApiError::bad_request("invalid_body", other.to_string()),
    })?;
    let hasher = state.config.common.rgpd.hasher.clone();
    let limit = state.config.common.campaigns.soft_bounce_limit;
    let counts = run_blocking(&state.pool, move |c| {
        record_all(c, &hasher, &events, unreadable, limit)
    })
    .await?;
    tracing::info!(
        events.recorded = counts.recorded,
        events.duplicates = counts.duplicates,
        events.unmatched = counts.unmatched,
        events.skipped = counts.skipped,
        "SendGrid events"
    );
    Ok(HttpResponse::Ok().json(counts))
}

/// The body, refused with 413 past [`MAX_BODY_BYTES`] (before reading when the length is declared).
async fn read_capped(
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<web::BytesMut, ApiError> {
    let too_large = ApiError::PayloadTooLarge {
        limit: MAX_BODY_BYTES,
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large);
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| payload_error(&e, MAX_BODY_BYTES))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What we record of a SendGrid event kind; `None`: not recorded.
fn kind_of(kind: ProviderEventKind) -> Option<EventKind> {
    Some(match kind {
        ProviderEventKind::Delivered => EventKind::Delivered,
        ProviderEventKind::Deferred => EventKind::Deferred,
        ProviderEventKind::Dropped => EventKind::Dropped,
        ProviderEventKind::Bounce(BounceKind::Hard) => EventKind::BounceHard,
        ProviderEventKind::Bounce(BounceKind::Soft) => EventKind::BounceSoft,
        ProviderEventKind::SpamReport => EventKind::Complaint,
        ProviderEventKind::Unsubscribe | ProviderEventKind::GroupUnsubscribe => {
            EventKind::Unsubscribe
        }
        ProviderEventKind::Open => EventKind::Open,
        ProviderEventKind::Click => EventKind::Click,
        ProviderEventKind::Processed | ProviderEventKind::Other => return None,
    })
}

/// When an event happened: its timestamp when plausible (this century, not in the future), else now.
fn occurred_at(timestamp: i64, now: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(timestamp, 0)
        .filter(|t| t.timestamp() >= 946_684_800 && *t <= now + TimeDelta::hours(1))
        .unwrap_or(now)
}

/// Records each event (each in its own transaction, so a retried batch records only what is missing).
fn record_all(
    conn: &mut diesel::PgConnection,
    hasher: &KeyedHasher,
    events: &[ProviderEvent],
    unreadable: usize,
    soft_bounce_limit: u32,
) -> Result<BatchCounts, DbError> {
    let mut counts = BatchCounts {
        skipped: unreadable as u64,
        ..BatchCounts::default()
    };
    let now = Utc::now();
    for e in events {
        let Some(kind) = kind_of(e.kind) else {
            counts.skipped += 1;
            continue;
        };
        let hash = address_hash(hasher, &e.email);
        let named = e
            .send_ref
            .as_deref()
            .and_then(|r| r.trim().parse::<i64>().ok())
            .filter(|n| *n > 0)
            .map(CampaignSendId);
        // Our custom argument when it names one of our sends, else the latest send to the address.
        let subject = match named {
            Some(id) if model::send_exists(conn, id)? => Some(Subject::Send(id)),
            _ => model::address_was_mailed(conn, &hash)?.then(|| Subject::Address(hash.clone())),
        };
        let matched = subject.is_some();
        let event = Event {
            subject: subject.unwrap_or_else(|| Subject::Address(hash.clone())),
            kind,
            source: Source::Sendgrid,
            dedupe_key: e.event_id.as_ref().map(|id| format!("sendgrid:{id}")),
            machine: kind == EventKind::Open && e.machine_open,
            url: e.url.clone().filter(|_| kind == EventKind::Click),
            occurred_at: occurred_at(e.timestamp, now),
            address_hash: Some(hash),
        };
        match feedback::record(conn, &event, soft_bounce_limit)? {
            Some(r) if !r.new => counts.duplicates += 1,
            Some(_) if matched => counts.recorded += 1,
            _ => counts.unmatched += 1,
        }
    }
    Ok(counts)
}
