//! [`RedisConn`]: the connection type every Redis user of the platform holds.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, Pipeline, RedisFuture, Value};

use super::sentinel::Discovery;
use super::{RedisConnError, RedisTarget, Timeouts};

/// A multiplexed, reconnecting Redis connection; cheap to clone (clones share the connection).
///
/// Commands go through `redis::aio::ConnectionLike`, so `AsyncCommands`, `Script` and `Pipeline` take it
/// as they take a `ConnectionManager`.
#[derive(Clone)]
pub struct RedisConn(Arc<Inner>);

struct Inner {
    db: i64,
    /// The master's connection; replaced after a failover (sentinel mode only).
    current: Mutex<Arc<Slot>>,
    /// `None` against one server. Held while a new master is looked up, so only one lookup runs.
    sentinel: Option<tokio::sync::Mutex<Sentinel>>,
    /// How long a master lookup, or resending a command a non-master refused, may take.
    within: Duration,
    /// `WAIT 1` after enqueues (zero: none).
    enqueue_wait: Duration,
}

struct Sentinel {
    discovery: Discovery,
    config: ConnectionManagerConfig,
}

/// One master's connection and its generation (so a late error from an old master cannot drop a new one).
struct Slot {
    generation: u64,
    manager: Option<ConnectionManager>,
}

/// What a reply or error says about the node we talk to.
#[derive(PartialEq, Eq)]
enum Verdict {
    Fine,
    /// Not a master that can write (any more): the command was refused, not applied, so it may be resent.
    NotMaster,
    /// The connection failed: the command may or may not have run, so it is not resent.
    Lost,
}

impl RedisConn {
    pub(super) fn lazy(target: &RedisTarget, timeouts: Timeouts) -> Result<Self, RedisConnError> {
        let config = timeouts.manager_config();
        let db = redis::IntoConnectionInfo::into_connection_info(
            secrecy::ExposeSecret::expose_secret(&target.url),
        )
        .map_err(RedisConnError::Url)?
        .redis_settings()
        .db();
        let (manager, sentinel, enqueue_wait) = match target.sentinel() {
            None => {
                let manager = ConnectionManager::new_lazy_with_config(target.client()?, config)
                    .map_err(RedisConnError::Url)?;
                (Some(manager), None, Duration::ZERO)
            }
            Some(s) => {
                let sentinel = Sentinel {
                    discovery: Discovery::new(target, s)?,
                    config,
                };
                (
                    None,
                    Some(tokio::sync::Mutex::new(sentinel)),
                    s.enqueue_wait,
                )
            }
        };
        Ok(Self(Arc::new(Inner {
            db,
            current: Mutex::new(Arc::new(Slot {
                generation: 0,
                manager,
            })),
            sentinel,
            // A failover takes a few seconds (sentinels' down-after time, election, promotion).
            within: timeouts.response.max(Duration::from_secs(5)),
            enqueue_wait,
        })))
    }

    /// Connects now if not connected yet.
    pub(super) async fn ready(&self) -> redis::RedisResult<()> {
        let mut conn = self.clone();
        redis::cmd("PING").query_async::<()>(&mut conn).await
    }

    /// Whether this connection follows a Sentinel-managed master.
    pub fn is_sentinel(&self) -> bool {
        self.0.sentinel.is_some()
    }

    /// In sentinel mode, waits until one replica holds what this connection wrote so far (`WAIT 1`), up to
    /// `REDIS_SENTINEL_ENQUEUE_WAIT_MS`, so an acknowledged enqueue survives a failover. Returns whether a
    /// replica confirmed (always `true` against one server, where there is nothing to wait for).
    pub async fn confirm_replicated(&self) -> bool {
        let wait = self.0.enqueue_wait;
        if self.0.sentinel.is_none() || wait.is_zero() {
            return true;
        }
        let mut conn = self.clone();
        let millis = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        match redis::cmd("WAIT")
            .arg(1)
            .arg(millis)
            .query_async::<u64>(&mut conn)
            .await
        {
            Ok(n) if n >= 1 => true,
            outcome => {
                metrics::counter!("redis_writes_unconfirmed_total").increment(1);
                tracing::warn!(
                    failed = outcome.is_err(),
                    wait_ms = millis,
                    "no Redis replica confirmed the write in time; it is lost if the master fails now"
                );
                false
            }
        }
    }

    fn slot(&self) -> Arc<Slot> {
        self.0
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The master's connection, looking the master up first when there is none.
    async fn manager(&self) -> redis::RedisResult<(u64, ConnectionManager)> {
        let slot = self.slot();
        if let Some(m) = &slot.manager {
            return Ok((slot.generation, m.clone()));
        }
        let Some(sentinel) = &self.0.sentinel else {
            return Err(redis::RedisError::from((
                redis::ErrorKind::Client,
                "no Redis connection",
            )));
        };
        let mut sentinel = sentinel.lock().await;
        // Another caller may have found the master while we waited.
        let slot = self.slot();
        if let Some(m) = &slot.manager {
            return Ok((slot.generation, m.clone()));
        }
        let client = sentinel.discovery.master(self.0.within).await?;
        let manager = ConnectionManager::new_lazy_with_config(client, sentinel.config.clone())?;
        let generation = slot.generation + 1;
        *self
            .0
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(Slot {
            generation,
            manager: Some(manager.clone()),
        });
        metrics::counter!("redis_master_lookups_total").increment(1);
        tracing::info!(
            generation,
            "connected to the Redis master named by the sentinels"
        );
        Ok((generation, manager))
    }

    /// Resends a command the node refused as a non-master (so it did not run) until the master the
    /// sentinels name takes it: during a failover the old primary refuses writes (`min-replicas-to-write`)
    /// before the new one accepts them.
    async fn resend(
        &self,
        mut generation: u64,
        cmd: &Cmd,
        mut outcome: redis::RedisResult<Value>,
    ) -> redis::RedisResult<Value> {
        if self.0.sentinel.is_none() {
            return outcome;
        }
        let deadline = tokio::time::Instant::now() + self.0.within;
        let mut pause = Duration::from_millis(20);
        loop {
            self.forget(generation);
            if tokio::time::Instant::now() + pause >= deadline {
                return outcome;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
            let (g, mut manager) = self.manager().await?;
            generation = g;
            outcome = manager.req_packed_command(cmd).await;
            match self.judge(&outcome, refused) {
                Verdict::NotMaster => {}
                Verdict::Lost => {
                    self.forget(generation);
                    return outcome;
                }
                Verdict::Fine => return outcome,
            }
        }
    }

    /// Drops the master's connection of `generation` so the next command looks the master up again.
    fn forget(&self, generation: u64) {
        let mut current = self
            .0
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if current.generation == generation && current.manager.is_some() {
            *current = Arc::new(Slot {
                generation: generation + 1,
                manager: None,
            });
            tracing::warn!(
                generation,
                "the Redis master stopped answering as master; asking the sentinels again"
            );
        }
    }

    /// Judges a reply in sentinel mode (against one server, the `ConnectionManager` does it all).
    fn judge<T>(&self, outcome: &redis::RedisResult<T>, refused: impl Fn(&T) -> bool) -> Verdict {
        if self.0.sentinel.is_none() {
            return Verdict::Fine;
        }
        match outcome {
            Ok(reply) if refused(reply) => Verdict::NotMaster,
            Ok(_) => Verdict::Fine,
            Err(e) if e.code().is_some_and(not_master) => Verdict::NotMaster,
            Err(e) if e.is_io_error() || e.is_unrecoverable_error() || e.is_timeout() => {
                Verdict::Lost
            }
            Err(_) => Verdict::Fine,
        }
    }
}

fn refused(reply: &Value) -> bool {
    matches!(reply, Value::ServerError(e) if not_master(e.code()))
}

/// Replies of a node that is not (or no longer) a writable master.
fn not_master(code: &str) -> bool {
    matches!(code, "READONLY" | "NOREPLICAS" | "MASTERDOWN")
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let (generation, mut manager) = self.manager().await?;
            let outcome = manager.req_packed_command(cmd).await;
            match self.judge(&outcome, refused) {
                Verdict::Fine => outcome,
                Verdict::Lost => {
                    self.forget(generation);
                    outcome
                }
                Verdict::NotMaster => self.resend(generation, cmd, outcome).await,
            }
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let (generation, mut manager) = self.manager().await?;
            let outcome = manager.req_packed_commands(pipeline, offset, count).await;
            if self.judge(&outcome, |replies| replies.iter().any(refused)) != Verdict::Fine {
                // A pipeline is never resent: some of its commands may have run.
                self.forget(generation);
            }
            outcome
        })
    }

    fn get_db(&self) -> i64 {
        self.0.db
    }
}
