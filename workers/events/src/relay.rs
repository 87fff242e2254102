//! The relay loop and one pass of it.

use std::time::Duration;

use chrono::Utc;
use crm_queue::JobQueue;
use crm_webhooks::{message, sweep};
use diesel::prelude::*;
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::event::{self, Event};
use shared::models::notification::{self, Notification};
use shared::models::webhook::{self as wh, NewDelivery, WebhookEndpointId};
use shared::redis_conn::RedisConn;
use shared::schema::webhook_endpoints as e;
use tokio_util::sync::CancellationToken;

/// Events per transaction.
pub const BATCH: i64 = 500;
/// Pause between passes when the outbox is empty.
const IDLE: Duration = Duration::from_millis(250);
/// Pause after a failed pass (database or Redis down).
const BACKOFF: Duration = Duration::from_secs(5);

/// What the relay needs.
#[derive(Clone)]
pub struct RelayEnv {
    pub pool: PgPool,
    pub queue: JobQueue,
}

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RelayOutcome {
    pub events: usize,
    pub deliveries: usize,
    pub notifications: usize,
}

struct Committed {
    events: usize,
    deliveries: Vec<(wh::WebhookDeliveryId, String)>,
    notifications: Vec<Notification>,
}

/// The deliveries of `events` to the active endpoints subscribed to their types.
fn deliveries_for(conn: &mut PgConnection, events: &[Event]) -> Result<Vec<NewDelivery>, DbError> {
    let endpoints: Vec<(WebhookEndpointId, Vec<Option<String>>)> = e::table
        .filter(e::active)
        .select((e::id, e::event_types))
        .load(conn)?;
    let mut out = Vec::new();
    for ev in events {
        for (id, types) in &endpoints {
            if types.iter().flatten().any(|t| *t == ev.event_type) {
                out.push(NewDelivery {
                    endpoint_id: *id,
                    event_id: Some(ev.id),
                    message_id: message::new_message_id(),
                    event_type: ev.event_type.clone(),
                    payload: message::body(&ev.event_type, Some(ev.id), ev.created_at, &ev.data),
                    next_attempt_at: Some(Utc::now()),
                });
            }
        }
    }
    Ok(out)
}

fn relay_batch(conn: &mut PgConnection) -> Result<Committed, DbError> {
    conn.transaction(|c| {
        let events = event::claim_pending(c, BATCH)?;
        if events.is_empty() {
            return Ok(Committed {
                events: 0,
                deliveries: Vec::new(),
                notifications: Vec::new(),
            });
        }
        let new = deliveries_for(c, &events)?;
        let created = wh::insert_deliveries(c, &new)?;
        let deliveries = sweep::with_hosts(c, &created)?;
        let mut drafts = Vec::new();
        for ev in &events {
            drafts.extend(crate::notify::for_event(c, ev)?);
        }
        let notifications = notification::insert_many(c, &drafts)?;
        let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
        event::mark_relayed(c, &ids)?;
        Ok(Committed {
            events: events.len(),
            deliveries,
            notifications,
        })
    })
}

/// Publishes new notifications for the API replicas' streams (one round trip).
pub async fn publish(
    conn: &RedisConn,
    channel: &str,
    notifications: &[Notification],
) -> Result<(), redis::RedisError> {
    if notifications.is_empty() {
        return Ok(());
    }
    let mut pipe = redis::pipe();
    for n in notifications {
        let json = serde_json::to_string(n).unwrap_or_default();
        pipe.publish(channel, json).ignore();
    }
    let mut conn = conn.clone();
    pipe.query_async::<()>(&mut conn).await
}

/// One pass: relays up to [`BATCH`] events, then enqueues their deliveries and publishes their
/// notifications. A failure after the commit loses nothing: the sweep re-enqueues deliveries, and a stream
/// catches up from the table on reconnect.
pub async fn relay_once(env: &RelayEnv) -> Result<RelayOutcome, anyhow::Error> {
    let committed = run_blocking(&env.pool, relay_batch).await?;
    let outcome = RelayOutcome {
        events: committed.events,
        deliveries: committed.deliveries.len(),
        notifications: committed.notifications.len(),
    };
    if committed.events == 0 {
        return Ok(outcome);
    }
    metrics::counter!("events_relayed_total").increment(outcome.events as u64);
    if let Err(e) = sweep::hand_to_jobs(&env.pool, &env.queue, committed.deliveries).await {
        tracing::warn!(error = %format!("{e:#}"), "enqueueing webhook deliveries failed; the sweep will");
    }
    let channel = env.queue.keys().notifications_channel();
    if let Err(e) = publish(&env.queue.connection(), &channel, &committed.notifications).await {
        tracing::warn!(error = %e, "publishing notifications failed; streams catch up on reconnect");
    }
    Ok(outcome)
}

/// Relays until `stop`: at once while the outbox is full, every 250 ms when it is empty.
pub async fn run(env: RelayEnv, stop: CancellationToken) {
    loop {
        let pause = match relay_once(&env).await {
            Ok(o) if o.events as i64 == BATCH => Duration::ZERO,
            Ok(_) => IDLE,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "event relay pass failed");
                BACKOFF
            }
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}
