//! `Actor`: who enqueued a job.

use std::fmt;
use std::str::FromStr;

use crate::models::UserId;

/// Who enqueued a job: a signed-in user, or the platform itself (cron schedules, fan-out of one job into
/// others). Stored as `system` or `user:<id>` in the Redis record and as a nullable user id in `job_history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Actor {
    #[default]
    System,
    User(UserId),
}

impl Actor {
    /// The user id, `None` for the system.
    pub fn user_id(self) -> Option<UserId> {
        match self {
            Actor::System => None,
            Actor::User(id) => Some(id),
        }
    }

    /// The actor of a `job_history` row (NULL is the system).
    pub fn from_user_id(id: Option<UserId>) -> Self {
        id.map_or(Actor::System, Actor::User)
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::System => f.write_str("system"),
            Actor::User(id) => write!(f, "user:{id}"),
        }
    }
}

/// An actor text that is neither `system` nor `user:<id>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an actor (`system` or `user:<id>` expected)")]
pub struct BadActor;

impl FromStr for Actor {
    type Err = BadActor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "system" {
            return Ok(Actor::System);
        }
        s.strip_prefix("user:")
            .and_then(|id| id.parse::<i64>().ok())
            .map(|id| Actor::User(UserId(id)))
            .ok_or(BadActor)
    }
}

impl serde::Serialize for Actor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Actor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_text() {
        for actor in [Actor::System, Actor::User(UserId(42))] {
            assert_eq!(actor.to_string().parse::<Actor>(), Ok(actor));
        }
        assert_eq!("user:x".parse::<Actor>(), Err(BadActor));
        assert_eq!("42".parse::<Actor>(), Err(BadActor));
    }
}
