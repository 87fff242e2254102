//! Wakes idle workers as soon as a job is pushed.
//!
//! apalis-redis parks an idle worker until its next heartbeat (30 s by default) and its pub/sub factory never
//! hears pushes. Our enqueue script publishes on `{ns}:notify:{queue}`; one subscriber per process fans the
//! notifications out to that queue's workers, whose poll strategy is this stream raced with a fallback
//! interval (pub/sub is lossy across reconnects, the interval bounds the loss).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::Keys;
use futures::StreamExt;
use futures::channel::mpsc;
use shared::jobs::Queue;
use shared::redis_conn::RedisTarget;
use tokio_util::sync::CancellationToken;

/// Delay of the second wake-up that covers a fetch racing with the push.
const ECHO_AFTER: Duration = Duration::from_millis(3);

/// Fan-out of wake-ups to the workers of each queue.
#[derive(Clone, Default)]
pub struct WakeHub {
    senders: Arc<Mutex<HashMap<Queue, Vec<mpsc::Sender<()>>>>>,
}

impl WakeHub {
    /// A stream of wake-ups for one worker of `queue`.
    pub fn subscribe(&self, queue: Queue) -> mpsc::Receiver<()> {
        // Capacity 1: wake-ups coalesce, a worker fetches everything ready anyway.
        let (tx, rx) = mpsc::channel(1);
        if let Ok(mut map) = self.senders.lock() {
            map.entry(queue).or_default().push(tx);
        }
        rx
    }

    fn wake(&self, queue: Queue) {
        if let Ok(mut map) = self.senders.lock()
            && let Some(list) = map.get_mut(&queue)
        {
            list.retain_mut(|tx| match tx.try_send(()) {
                Ok(()) => true,
                Err(e) => !e.is_disconnected(),
            });
        }
    }

    /// Listens to the notify channels until `stop`, reconnecting after Redis failures.
    pub async fn listen(self, target: RedisTarget, keys: Keys, stop: CancellationToken) {
        let pattern = format!("{}*", keys.notify_prefix());
        let prefix = keys.notify_prefix();
        let mut backoff = Duration::from_millis(100);
        while !stop.is_cancelled() {
            // In sentinel mode each (re)connection asks the sentinels for the current master.
            match shared::redis_conn::pubsub(&target).await {
                Ok(mut pubsub) => {
                    if let Err(e) = pubsub.psubscribe(&pattern).await {
                        tracing::warn!(error = %e, "wake-up subscription failed");
                    } else {
                        backoff = Duration::from_millis(100);
                        // Anything pushed while we were away: wake everyone once.
                        for q in Queue::ALL {
                            self.wake(q);
                        }
                        let mut messages = pubsub.on_message();
                        // Queues to wake a second time shortly after: a worker whose fetch was already in
                        // flight when the job was pushed consumes the first wake-up and finds nothing.
                        let mut echo: Vec<Queue> = Vec::new();
                        let mut echo_at = tokio::time::Instant::now();
                        loop {
                            tokio::select! {
                                _ = stop.cancelled() => return,
                                _ = tokio::time::sleep_until(echo_at), if !echo.is_empty() => {
                                    for q in echo.drain(..) {
                                        self.wake(q);
                                    }
                                }
                                msg = messages.next() => match msg {
                                    Some(msg) => {
                                        let channel = msg.get_channel_name();
                                        if let Some(q) = channel.strip_prefix(&prefix).and_then(|q| q.parse().ok()) {
                                            self.wake(q);
                                            if echo.is_empty() {
                                                echo_at = tokio::time::Instant::now() + ECHO_AFTER;
                                            }
                                            if !echo.contains(&q) {
                                                echo.push(q);
                                            }
                                        }
                                    }
                                    None => break,
                                },
                            }
                        }
                        tracing::warn!("wake-up subscription lost; reconnecting");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "wake-up subscriber cannot connect"),
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }
}
