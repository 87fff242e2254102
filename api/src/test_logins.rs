//! A per-user cap on concurrent IMAP test logins (`POST /api/v1/email-accounts`).
//!
//! In-process, not in Redis: what the cap protects is this process's memory, sockets and request
//! workers (each test login holds a connection and its read buffer for up to `IMAP_CONNECT_TIMEOUT_MS`),
//! so the count that matters is per process. A slot held in memory is released by `Drop` even when the
//! request is cancelled, and vanishes with the process; a Redis counter would need a TTL and a cleanup
//! after a crash, and a round trip per request. With N API replicas a user may run N × the cap at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use shared::models::UserId;

/// Test logins one user may run at once in one API process.
pub const TEST_LOGINS_PER_USER: usize = 1;

/// Running test logins per user.
#[derive(Debug, Default)]
pub struct TestLogins {
    running: Mutex<HashMap<UserId, usize>>,
}

/// A test login in progress; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot {
    logins: Arc<TestLogins>,
    user: UserId,
}

impl TestLogins {
    /// A slot for `user`, or `None` when the user already runs [`TEST_LOGINS_PER_USER`] test logins.
    pub fn try_acquire(self: &Arc<Self>, user: UserId) -> Option<Slot> {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let n = running.entry(user).or_insert(0);
        if *n >= TEST_LOGINS_PER_USER {
            return None;
        }
        *n += 1;
        Some(Slot {
            logins: Arc::clone(self),
            user,
        })
    }

    /// Test logins `user` runs now.
    pub fn running(&self, user: UserId) -> usize {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&user)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut running = self
            .logins
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = running.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                running.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_slot_per_user_freed_on_drop() {
        let logins = Arc::new(TestLogins::default());
        let a = logins.try_acquire(UserId(1));
        assert!(a.is_some());
        assert!(logins.try_acquire(UserId(1)).is_none());
        assert!(logins.try_acquire(UserId(2)).is_some());
        drop(a);
        assert_eq!(logins.running(UserId(1)), 0);
        assert!(logins.try_acquire(UserId(1)).is_some());
    }
}
