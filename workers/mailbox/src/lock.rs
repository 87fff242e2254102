//! A Redis lock (`SET NX PX` with a random token) held while one account syncs, so two syncs of one
//! account never run at once, whatever enqueued them. It is renewed while held and expires on its own
//! when the holder dies.

use std::time::Duration;

use redis::Script;
use shared::redis_conn::RedisConn;
use tokio_util::sync::CancellationToken;

/// Lifetime of the lock without renewal.
const TTL: Duration = Duration::from_secs(120);

/// A held lock; call [`AccountLock::release`] when done (dropping it only stops the renewal).
pub struct AccountLock {
    conn: RedisConn,
    key: String,
    token: String,
    renewal: CancellationToken,
}

/// The key of an account's sync lock in namespace `ns`.
pub fn key(ns: &str, account_id: i64) -> String {
    format!("{ns}:lock:mail.sync_account:{account_id}")
}

impl AccountLock {
    /// Takes the lock, or returns `None` when another holder has it.
    pub async fn acquire(
        mut conn: RedisConn,
        key: String,
    ) -> Result<Option<Self>, redis::RedisError> {
        let token = ulid::Ulid::new().to_string();
        let ttl_ms = u64::try_from(TTL.as_millis()).unwrap_or(120_000);
        let ok: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(&token)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms)
            .query_async(&mut conn)
            .await?;
        if ok.is_none() {
            return Ok(None);
        }
        let renewal = CancellationToken::new();
        tokio::spawn(renew(
            conn.clone(),
            key.clone(),
            token.clone(),
            renewal.clone(),
        ));
        Ok(Some(Self {
            conn,
            key,
            token,
            renewal,
        }))
    }

    /// Releases the lock if it is still ours.
    pub async fn release(mut self) {
        self.renewal.cancel();
        let script = Script::new(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
        );
        let released: Result<i64, _> = script
            .key(&self.key)
            .arg(&self.token)
            .invoke_async(&mut self.conn)
            .await;
        if let Err(e) = released {
            tracing::warn!(error = %e, "could not release a mail sync lock (it will expire)");
        }
    }
}

impl Drop for AccountLock {
    fn drop(&mut self) {
        self.renewal.cancel();
    }
}

async fn renew(mut conn: RedisConn, key: String, token: String, stop: CancellationToken) {
    let script = Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0",
    );
    let ttl_ms = u64::try_from(TTL.as_millis()).unwrap_or(120_000);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(TTL / 3) => {}
        }
        let renewed: Result<i64, _> = script
            .key(&key)
            .arg(&token)
            .arg(ttl_ms)
            .invoke_async(&mut conn)
            .await;
        if let Err(e) = renewed {
            tracing::warn!(error = %e, "could not renew a mail sync lock");
        }
    }
}
