//! Cluster-wide pause of queues: the set `{ns}:paused` is read every half second by every process, and a
//! paused queue's workers stop fetching (in-flight jobs finish; jobs keep being accepted).

use std::collections::HashMap;
use std::time::Duration;

use crate::JobQueue;
use shared::jobs::Queue;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

const POLL: Duration = Duration::from_millis(500);

/// Per-queue paused flags, fed by [`PauseWatch::run`].
#[derive(Clone)]
pub struct PauseWatch {
    senders: HashMap<Queue, watch::Sender<bool>>,
}

impl Default for PauseWatch {
    fn default() -> Self {
        Self {
            senders: Queue::ALL
                .iter()
                .map(|q| (*q, watch::channel(false).0))
                .collect(),
        }
    }
}

impl PauseWatch {
    /// A receiver for one queue's flag.
    pub fn subscribe(&self, queue: Queue) -> watch::Receiver<bool> {
        match self.senders.get(&queue) {
            Some(tx) => tx.subscribe(),
            None => watch::channel(false).1,
        }
    }

    /// Reads the paused set every half second until `stop`. On Redis errors the last known flags stand.
    pub async fn run(self, queue: JobQueue, stop: CancellationToken) {
        loop {
            if let Ok(paused) = queue.paused().await {
                for (q, tx) in &self.senders {
                    let now = paused.contains(q);
                    tx.send_if_modified(|v| std::mem::replace(v, now) != now);
                }
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }
}
