//! Whether an open or a click was most likely made by a machine rather than the recipient: counted apart
//! in the report (`email_events.machine`).

use actix_web::HttpRequest;
use actix_web::http::header::USER_AGENT;
use chrono::{DateTime, TimeDelta, Utc};
use crm_campaigns::feedback::{self, Event, EventKind, Source, Subject};
use shared::db::run_blocking;
use shared::models::campaign::{self as model, CampaignSendId};

use crate::state::AppState;

/// An open or click this soon after sending is taken for a prefetch or a scan: nobody reads a campaign
/// within a minute of its arrival often enough to matter, while gateways scan on arrival.
pub(super) const PREFETCH_WINDOW: TimeDelta = TimeDelta::seconds(60);

/// User-Agent fragments (lower-case) of software that fetches images or follows links by itself:
/// email security gateways and link scanners (Barracuda, Mimecast, Proofpoint, Symantec, Trend Micro,
/// Sophos, Cisco IronPort, Forcepoint, FireEye), link-preview bots of chat tools (Slack, Microsoft Teams
/// and Skype, Facebook, LinkedIn, X/Twitter, WhatsApp, Telegram, Discord), and generic robots and HTTP
/// libraries (`bot`, `crawler`, `spider`, headless Chrome, curl, Wget, python-requests, Go, Java, okhttp,
/// libwww-perl). Apple Mail Privacy Protection's proxy sends an ordinary browser User-Agent: only the
/// time window, and SendGrid's `sg_machine_open` for its own opens, catch some of it.
pub(super) const MACHINE_AGENTS: &[&str] = &[
    "barracuda",
    "mimecast",
    "proofpoint",
    "symantec",
    "trendmicro",
    "sophos",
    "ironport",
    "forcepoint",
    "fireeye",
    "slackbot",
    "skypeuripreview",
    "teamsbot",
    "facebookexternalhit",
    "linkedinbot",
    "twitterbot",
    "whatsapp",
    "telegrambot",
    "discordbot",
    "bot",
    "crawler",
    "spider",
    "headlesschrome",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww-perl",
];

/// True when a fetch at `now` of a link of a message sent at `sent_at` (`None`: not marked sent yet,
/// so within seconds of its SMTP transaction) with `user_agent` is most likely a machine's: within
/// [`PREFETCH_WINDOW`] of sending, without a User-Agent (every mail client sends one), or with one of
/// [`MACHINE_AGENTS`].
pub(super) fn likely_machine(
    user_agent: Option<&str>,
    sent_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    let soon = sent_at.is_none_or(|at| now.signed_duration_since(at) < PREFETCH_WINDOW);
    let agent = match user_agent.map(str::trim) {
        None | Some("") => true,
        Some(ua) => {
            let ua = ua.to_ascii_lowercase();
            MACHINE_AGENTS.iter().any(|m| ua.contains(m))
        }
    };
    soon || agent
}

/// Records an open or a click of `send` made by `req` (flagged as a machine's per [`likely_machine`]);
/// a failure is logged, never shown: the reader gets their pixel or redirect anyway.
pub(super) async fn record_engagement(
    state: &AppState,
    req: &HttpRequest,
    send: CampaignSendId,
    kind: EventKind,
    url: Option<String>,
) {
    let agent = req
        .headers()
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let source = if kind == EventKind::Click {
        Source::Link
    } else {
        Source::Pixel
    };
    let limit = state.config.common.campaigns.soft_bounce_limit;
    let recorded = run_blocking(&state.pool, move |c| {
        let Some(found) = model::find_send(c, send)? else {
            return Ok(None);
        };
        let now = Utc::now();
        let event = Event {
            subject: Subject::Send(send),
            kind,
            source,
            dedupe_key: None,
            machine: likely_machine(agent.as_deref(), found.sent_at, now),
            url,
            occurred_at: now,
            address_hash: None,
        };
        feedback::record(c, &event, limit)
    })
    .await;
    if let Err(e) = recorded {
        tracing::warn!(send.id = send.0, kind = kind.as_str(), error = %e, "engagement not recorded");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                          (KHTML, like Gecko) Version/17.0 Safari/605.1.15";

    #[test]
    fn prefetches_and_scanners_are_machines_readers_are_not() {
        let sent = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let later = sent + TimeDelta::hours(2);
        // A browser two hours after sending: a reader.
        assert!(!likely_machine(Some(SAFARI), Some(sent), later));
        // The same browser within the minute: a prefetch (Apple Mail Privacy Protection looks like this).
        assert!(likely_machine(
            Some(SAFARI),
            Some(sent),
            sent + TimeDelta::seconds(5)
        ));
        assert!(!likely_machine(
            Some(SAFARI),
            Some(sent),
            sent + TimeDelta::seconds(60)
        ));
        // Not marked sent yet: within seconds of the SMTP transaction.
        assert!(likely_machine(Some(SAFARI), None, later));
        // Scanners, preview bots and libraries, whenever they come; no User-Agent at all.
        for ua in [
            "Mozilla/5.0 (compatible; Barracuda Sentinel)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "python-requests/2.31.0",
            "curl/8.5.0",
            "",
        ] {
            assert!(likely_machine(Some(ua), Some(sent), later), "{ua}");
        }
        assert!(likely_machine(None, Some(sent), later));
    }
}
