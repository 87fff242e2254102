//! What became of campaign mail, recorded once: opens, clicks, deliveries, bounces, complaints and
//! unsubscriptions from the links, the bounce mailbox and SendGrid's webhook. Unsubscriptions, complaints,
//! hard bounces and repeated soft bounces put the address on the suppression list at once; every later
//! send checks that list before its SMTP transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use shared::db::DbError;
use shared::keyed_hash::{KeyedHasher, Purpose};
use shared::models::campaign::{CampaignId, CampaignSendId};
use shared::schema::{
    campaign_recipients as r, campaign_sends as s, email_events as ev, email_suppressions as sup,
};

/// The suppression list's and the send records' form of an address: keyed hash of the trimmed,
/// lower-cased address.
pub fn address_hash(hasher: &KeyedHasher, address: &str) -> String {
    hasher.hash(
        Purpose::MailAddress,
        address.trim().to_lowercase().as_bytes(),
    )
}

/// What happened (`email_events.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Delivered,
    Deferred,
    Dropped,
    BounceHard,
    BounceSoft,
    Complaint,
    Unsubscribe,
    Open,
    Click,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Delivered => "delivered",
            EventKind::Deferred => "deferred",
            EventKind::Dropped => "dropped",
            EventKind::BounceHard => "bounce_hard",
            EventKind::BounceSoft => "bounce_soft",
            EventKind::Complaint => "complaint",
            EventKind::Unsubscribe => "unsubscribe",
            EventKind::Open => "open",
            EventKind::Click => "click",
        }
    }
}

/// Where it was learnt (`email_events.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Pixel,
    Link,
    Dsn,
    Sendgrid,
    OneClick,
    Mailto,
    /// The relay refused the recipient during our own SMTP transaction.
    Smtp,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Pixel => "pixel",
            Source::Link => "link",
            Source::Dsn => "dsn",
            Source::Sendgrid => "sendgrid",
            Source::OneClick => "one_click",
            Source::Mailto => "mailto",
            Source::Smtp => "smtp",
        }
    }
}

/// Which message an event is about. Links carry the send's id; a DSN names the returned Message-ID and
/// the recipient; a provider event carries our send id or only the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Send(CampaignSendId),
    MessageId(String),
    /// The address's hash: the latest send to it.
    Address(String),
}

/// One event to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub subject: Subject,
    pub kind: EventKind,
    pub source: Source,
    /// Recorded once per key (a retried webhook, a mailbox synced twice); `None`: always recorded.
    pub dedupe_key: Option<String>,
    /// An open or click most likely made by a machine (image proxy prefetch, link scanner).
    pub machine: bool,
    pub url: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// The address's hash when the event names an address (a DSN recipient, a provider event): it wins
    /// over the send's own, so a bounce of a forwarded address suppresses the address that bounced.
    pub address_hash: Option<String>,
}

/// What recording did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Recorded {
    /// The event was new (not a duplicate of one recorded before).
    pub new: bool,
    /// The address is now suppressed by this event.
    pub suppressed: bool,
}

/// Records `event`, then its consequences (suppression, the recipient's drip stopped), in one
/// transaction. An event about no known send or address is dropped: `Ok(None)`.
pub fn record(
    conn: &mut PgConnection,
    event: &Event,
    soft_bounce_limit: u32,
) -> Result<Option<Recorded>, DbError> {
    conn.transaction(|conn| {
        let send: Option<(CampaignSendId, CampaignId, i64, Option<String>)> = match &event.subject {
            Subject::Send(id) => s::table
                .find(id)
                .select((s::id, s::campaign_id, s::person_id, s::address_hash))
                .first(conn)
                .optional()?,
            Subject::MessageId(mid) => s::table
                .filter(s::message_id.eq(mid.trim_matches(['<', '>'])))
                .select((s::id, s::campaign_id, s::person_id, s::address_hash))
                .first(conn)
                .optional()?,
            Subject::Address(hash) => s::table
                .filter(s::address_hash.eq(hash))
                .order(s::id.desc())
                .select((s::id, s::campaign_id, s::person_id, s::address_hash))
                .first(conn)
                .optional()?,
        };
        let address = event
            .address_hash
            .clone()
            .or_else(|| send.as_ref().and_then(|s| s.3.clone()))
            .or_else(|| match &event.subject {
                Subject::Address(h) => Some(h.clone()),
                _ => None,
            });
        if send.is_none() && address.is_none() {
            return Ok(None);
        }
        let inserted = diesel::insert_into(ev::table)
            .values((
                ev::send_id.eq(send.as_ref().map(|s| s.0)),
                ev::campaign_id.eq(send.as_ref().map(|s| s.1)),
                ev::kind.eq(event.kind.as_str()),
                ev::source.eq(event.source.as_str()),
                ev::address_hash.eq(&address),
                ev::dedupe_key.eq(&event.dedupe_key),
                ev::machine.eq(event.machine),
                ev::url.eq(&event.url),
                ev::occurred_at.eq(event.occurred_at),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        if inserted == 0 {
            return Ok(Some(Recorded::default()));
        }
        let reason = match event.kind {
            EventKind::Unsubscribe => Some("unsubscribed"),
            EventKind::Complaint => Some("complaint"),
            EventKind::BounceHard => Some("hard_bounce"),
            EventKind::BounceSoft => {
                let soft: i64 = match &address {
                    Some(h) => ev::table
                        .filter(ev::kind.eq("bounce_soft").and(ev::address_hash.eq(h)))
                        .count()
                        .get_result(conn)?,
                    None => 0,
                };
                (soft >= i64::from(soft_bounce_limit)).then_some("soft_bounces")
            }
            _ => None,
        };
        let mut suppressed = false;
        if let (Some(reason), Some(hash)) = (reason, &address) {
            let source = match event.source {
                Source::Pixel | Source::Link => "link",
                other => other.as_str(),
            };
            suppressed = diesel::insert_into(sup::table)
                .values((
                    sup::address_hash.eq(hash),
                    sup::reason.eq(reason),
                    sup::source.eq(source),
                    sup::campaign_id.eq(send.as_ref().map(|s| s.1)),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?
                > 0;
            if let Some((_, campaign, person, _)) = &send {
                let why = if event.kind == EventKind::Unsubscribe {
                    "unsubscribed"
                } else {
                    "suppressed"
                };
                diesel::update(
                    r::table
                        .find((campaign, person))
                        .filter(r::state.eq("active")),
                )
                .set((r::state.eq("stopped"), r::stop_reason.eq(why)))
                .execute(conn)?;
            }
        }
        Ok(Some(Recorded {
            new: true,
            suppressed,
        }))
    })
}
