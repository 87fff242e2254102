//! Live pushes to browsers: one Redis pub/sub subscription per API process (started on the first stream)
//! feeding in-process broadcast channels that every Server-Sent Events stream of the process reads. Any
//! replica delivers: the workers publish once, every replica hears it.
//!
//! After a lost subscription (Redis restart, failover) or a stream that fell behind, streams receive
//! [`Live::Resync`] and catch up from Postgres, so nothing published meanwhile is lost.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crm_queue::Keys;
use futures::StreamExt;
use shared::redis_conn::RedisTarget;
use tokio::sync::broadcast;

/// Messages a stream receives.
#[derive(Debug, Clone)]
pub enum Live {
    /// A published JSON message.
    Message(Arc<str>),
    /// Messages may have been missed: catch up from the store.
    Resync,
}

/// Messages buffered per channel for slow streams (a stream further behind gets [`Live::Resync`]).
const CAPACITY: usize = 4_096;

struct Channels {
    notifications: broadcast::Sender<Live>,
    job_events: broadcast::Sender<Live>,
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
            let (notifications, _) = broadcast::channel(CAPACITY);
            let (job_events, _) = broadcast::channel(CAPACITY);
            let channels = Channels {
                notifications: notifications.clone(),
                job_events: job_events.clone(),
            };
            tokio::spawn(listen(
                self.target.clone(),
                self.keys.clone(),
                notifications,
                job_events,
            ));
            channels
        })
    }

    /// New notifications (JSON of `Notification`), for every user: streams filter their own.
    pub fn notifications(&self) -> broadcast::Receiver<Live> {
        self.channels().notifications.subscribe()
    }

    /// Job progress (`{job_id, progress_pct, progress_msg, progress_at}`), for every job.
    pub fn job_events(&self) -> broadcast::Receiver<Live> {
        self.channels().job_events.subscribe()
    }
}

async fn listen(
    target: RedisTarget,
    keys: Keys,
    notifications: broadcast::Sender<Live>,
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
                        let _ = notifications.send(Live::Resync);
                        let _ = job_events.send(Live::Resync);
                    }
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(payload) = msg.get_payload::<String>() else {
                            continue;
                        };
                        let live = Live::Message(Arc::from(payload));
                        let sender = if msg.get_channel_name() == n_channel {
                            &notifications
                        } else {
                            &job_events
                        };
                        // No stream listening is fine.
                        let _ = sender.send(live);
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
