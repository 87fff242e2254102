//! What both schedule listings (API and dashboard) show of each entry: enabled as the scheduler sees it
//! (operators' override in Redis over the table), next fire, last fire and its result.
//!
//! The last fire comes from the last recorded result (scheduled or manual) that enqueued without error,
//! not from the scheduler's tick cursor: the cursor moves when a scheduler first starts or while an entry
//! is disabled, which is not a fire.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use crm_schedules::{Entry, TickResult};
use redis::AsyncCommands;

use crate::error::ApiError;
use crate::state::AppState;

/// One entry's live state.
pub struct EntryState<'a> {
    pub entry: &'a Entry,
    pub enabled: bool,
    pub next_fire_at: Option<DateTime<Utc>>,
    pub last_fired_at: Option<DateTime<Utc>>,
    pub last_result: Option<TickResult>,
}

/// Every entry of the table, in table order.
pub async fn entry_states(state: &AppState) -> Result<Vec<EntryState<'_>>, ApiError> {
    let mut conn = state.redis();
    let results: HashMap<String, String> = conn.hgetall(state.keys().scheduler_result()).await?;
    let overrides = crm_schedules::enabled_overrides(&state.queue).await?;
    let table = &state.schedules;
    let now = Utc::now();
    Ok(table
        .entries
        .iter()
        .map(|entry| {
            let enabled = overrides.get(&entry.name).copied().unwrap_or(entry.enabled);
            let last_result: Option<TickResult> = results
                .get(&entry.name)
                .and_then(|json| serde_json::from_str(json).ok());
            EntryState {
                entry,
                enabled,
                next_fire_at: enabled
                    .then(|| entry.next_after(now, table.timezone))
                    .flatten(),
                last_fired_at: last_result
                    .as_ref()
                    .filter(|r| r.error.is_none())
                    .map(|r| r.fired_at),
                last_result,
            }
        })
        .collect())
}
