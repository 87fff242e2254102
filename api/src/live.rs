//! Live pushes to browsers: one Redis pub/sub subscription per API process (started on the first stream)
//! feeding in-process broadcast channels that the Server-Sent Events streams of the process read. Any
//! replica delivers: the workers publish once, every replica hears it. A notification is read once, by
//! the listener, and goes to its user's channel only: a stream wakes for its own notifications, so 1,000
//! streams cost 1,000 deliveries per 1,000 notifications, not a million.
//!
//! After a lost subscription (Redis restart, failover) or a stream that fell behind, streams receive
//! [`Live::Resync`] and catch up from Postgres, so nothing published meanwhile is lost.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crm_queue::Keys;
use futures::StreamExt;
use shared::redis_conn::RedisTarget;
use tokio::sync::broadcast;

/// Messages a stream receives.
#[derive(Debug, Clone)]
pub enum Live {
    /// A published JSON message (job progress).
    Message(Arc<str>),
    /// A published notification of the stream's user: its id (read once, by the listener) and JSON.
    Notification(i64, Arc<str>),
    /// Messages may have been missed: catch up from the store.
    Resync,
}

/// Messages buffered for slow streams (a stream further behind gets [`Live::Resync`]).
const CAPACITY: usize = 4_096;
/// The same, per user.
const USER_CAPACITY: usize = 256;

/// Each user's channel of notifications (created by their first stream, dropped with their last).
type UserChannels = Arc<Mutex<HashMap<i64, broadcast::Sender<Live>>>>;

struct Channels {
    users: UserChannels,
    job_events: broadcast::Sender<Live>,
}

/// Who a published notification is for, and its id.
#[derive(serde::Deserialize)]
struct Addressed {
    id: i64,
    user_id: i64,
}

/// The process's hub; cheap to clone.
#[derive(Clone)]
pub struct LiveHub {
    target: RedisTarget,
    keys: Keys,
    channels: Arc<OnceLock<Channels>>,
}

impl LiveHub {
    pub fn new(target: RedisTarget, keys: Keys) -> Self {
        Self {
            target,
            keys,
            channels: Arc::new(OnceLock::new()),
        }
    }

    fn channels(&self) -> &Channels {
        self.channels.get_or_init(|| {
            let users = UserChannels::default();
            let (job_events, _) = broadcast::channel(CAPACITY);
            tokio::spawn(listen(
                self.target.clone(),
                self.keys.clone(),
                users.clone(),
                job_events.clone(),
            ));
            Channels { users, job_events }
        })
    }

    /// New notifications of `user` (JSON of `Notification`).
    pub fn notifications_of(&self, user: shared::models::UserId) -> broadcast::Receiver<Live> {
        let channels = self.channels();
        let mut users = channels
            .users
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        users
            .entry(user.0)
            .or_insert_with(|| broadcast::channel(USER_CAPACITY).0)
            .subscribe()
    }

    /// Job progress (`{job_id, progress_pct, progress_msg, progress_at}`), for every job.
    pub fn job_events(&self) -> broadcast::Receiver<Live> {
        self.channels().job_events.subscribe()
    }
}

/// Hands a published notification to its user's streams (a user without one: nothing to do).
fn route(users: &UserChannels, payload: Arc<str>) {
    let Ok(to) = serde_json::from_str::<Addressed>(&payload) else {
        return;
    };
    let mut users = users
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(tx) = users.get(&to.user_id)
        && tx.send(Live::Notification(to.id, payload)).is_err()
    {
        // Every stream of the user ended.
        users.remove(&to.user_id);
    }
}

/// Tells every stream to catch up (messages may have been missed), forgetting users without one.
fn resync_all(users: &UserChannels) {
    let mut users = users
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    users.retain(|_, tx| tx.send(Live::Resync).is_ok());
}

async fn listen(
    target: RedisTarget,
    keys: Keys,
    users: UserChannels,
    job_events: broadcast::Sender<Live>,
) {
    let (n_channel, j_channel) = (keys.notifications_channel(), keys.job_events_channel());
    let mut backoff = Duration::from_millis(100);
    let mut first = true;
    loop {
        match shared::redis_conn::pubsub(&target).await {
            Ok(mut pubsub) => {
                let subscribed = pubsub.subscribe(&n_channel).await.is_ok()
                    && pubsub.subscribe(&j_channel).await.is_ok();
                if subscribed {
                    backoff = Duration::from_millis(100);
                    if !first {
                        resync_all(&users);
                        let _ = job_events.send(Live::Resync);
                    }
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(payload) = msg.get_payload::<String>() else {
                            continue;
                        };
                        if msg.get_channel_name() == n_channel {
                            route(&users, Arc::from(payload));
                        } else {
                            // No stream listening is fine.
                            let _ = job_events.send(Live::Message(Arc::from(payload)));
                        }
                    }
                }
                tracing::warn!("live subscription lost; reconnecting");
                first = false;
            }
            Err(e) => tracing::warn!(error = %e, "live subscriber cannot connect"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// One Server-Sent Events frame: `id` (optional), `event`, one `data` line (JSON has no raw newline).
pub fn frame(id: Option<i64>, event: &str, data: &str) -> actix_web::web::Bytes {
    let mut out = String::with_capacity(data.len() + 48);
    if let Some(id) = id {
        out.push_str(&format!("id: {id}\n"));
    }
    out.push_str("event: ");
    out.push_str(event);
    out.push_str("\ndata: ");
    out.push_str(&data.replace('\n', "\\n"));
    out.push_str("\n\n");
    actix_web::web::Bytes::from(out)
}

/// A comment line that keeps proxies from closing an idle stream.
pub fn keep_alive() -> actix_web::web::Bytes {
    actix_web::web::Bytes::from_static(b": keep-alive\n\n")
}
