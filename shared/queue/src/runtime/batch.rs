//! Natural batching of the per-job bookkeeping scripts.
//!
//! apalis hands a worker up to `batch_size` tasks at once and they start (and, for short jobs, finish)
//! together. Instead of one script call per job, concurrent calls queue here and a single script call
//! serves all of them: when Redis is idle a call goes out at once (a batch of one, no added latency); while
//! earlier batches are in flight, new calls accumulate and leave together. At most [`IN_FLIGHT`] batches
//! are outstanding per kind, so a slow Redis is never flooded.

use std::future::Future;
use std::sync::Arc;

use redis::RedisError;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Largest batch one script call carries.
pub const MAX_BATCH: usize = 256;
/// Batches of one kind outstanding at once.
pub const IN_FLIGHT: usize = 4;

type Reply<O> = oneshot::Sender<Result<O, RedisError>>;

/// Queues calls of one kind and runs them in batches.
pub struct Batcher<I, O> {
    tx: mpsc::UnboundedSender<(I, Reply<O>)>,
}

impl<I, O> Clone for Batcher<I, O> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

impl<I: Send + 'static, O: Send + 'static> Batcher<I, O> {
    /// Spawns the batching loop; `run` executes one batch and returns one output per input, in order. The
    /// loop ends when every `Batcher` handle is dropped.
    pub fn spawn<F, Fut>(run: F) -> Self
    where
        F: Fn(Vec<I>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<O>, RedisError>> + Send + 'static,
    {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(batch_loop(rx, Arc::new(run)));
        Self { tx }
    }

    /// Runs `item` in the next batch and returns its output.
    pub async fn call(&self, item: I) -> Result<O, RedisError> {
        let (reply, answer) = oneshot::channel();
        if self.tx.send((item, reply)).is_err() {
            return Err(closed());
        }
        answer.await.unwrap_or_else(|_| Err(closed()))
    }
}

fn closed() -> RedisError {
    RedisError::from(std::io::Error::other("bookkeeping batcher stopped"))
}

async fn batch_loop<I, O, F, Fut>(mut rx: mpsc::UnboundedReceiver<(I, Reply<O>)>, run: Arc<F>)
where
    I: Send + 'static,
    O: Send + 'static,
    F: Fn(Vec<I>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Vec<O>, RedisError>> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = rx.recv().await {
        // Wait for a free slot before draining, so calls that arrive meanwhile join this batch.
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let mut items = Vec::with_capacity(16);
        let mut replies = Vec::with_capacity(16);
        items.push(first.0);
        replies.push(first.1);
        while items.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok((item, reply)) => {
                    items.push(item);
                    replies.push(reply);
                }
                Err(_) => break,
            }
        }
        metrics::histogram!("bookkeeping_batch_size").record(items.len() as f64);
        let run = run.clone();
        tokio::spawn(async move {
            let n = replies.len();
            match run(items).await {
                Ok(outputs) if outputs.len() == n => {
                    for (reply, out) in replies.into_iter().zip(outputs) {
                        let _ = reply.send(Ok(out));
                    }
                }
                Ok(outputs) => {
                    let e = RedisError::from(std::io::Error::other(format!(
                        "bookkeeping script answered {} results for {n} jobs",
                        outputs.len()
                    )));
                    for reply in replies {
                        let _ = reply.send(Err(e.clone()));
                    }
                }
                Err(e) => {
                    for reply in replies {
                        let _ = reply.send(Err(e.clone()));
                    }
                }
            }
            drop(permit);
        });
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn concurrent_calls_share_batches_and_get_their_own_answer() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let b = Batcher::spawn(move |items: Vec<u32>| {
            seen.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(items.into_iter().map(|i| i * 10).collect())
            }
        });
        let mut handles = Vec::new();
        for i in 0..200u32 {
            let b = b.clone();
            handles.push(tokio::spawn(async move { (i, b.call(i).await.unwrap()) }));
        }
        for h in handles {
            let (i, out) = h.await.unwrap();
            assert_eq!(out, i * 10);
        }
        let n = calls.load(Ordering::SeqCst);
        assert!(n < 200 / 4, "200 concurrent calls took {n} batches");
    }

    #[tokio::test]
    async fn a_lone_call_is_not_delayed_and_errors_reach_every_caller() {
        let b: Batcher<u32, u32> = Batcher::spawn(|items: Vec<u32>| async move {
            if items.contains(&7) {
                Err(RedisError::from(std::io::Error::other("boom")))
            } else {
                Ok(items)
            }
        });
        let t = std::time::Instant::now();
        assert_eq!(b.call(3).await.unwrap(), 3);
        assert!(t.elapsed() < Duration::from_millis(50));
        assert!(b.call(7).await.unwrap_err().to_string().contains("boom"));
        let short: Batcher<u32, u32> = Batcher::spawn(|_items: Vec<u32>| async move { Ok(vec![]) });
        assert!(
            short
                .call(1)
                .await
                .unwrap_err()
                .to_string()
                .contains("0 results")
        );
    }
}
