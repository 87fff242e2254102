//! The cron table: list with next/last fire times, run an entry now.

pub mod list;
pub mod run;
pub mod state;

use crm_schedules::Entry;

use crate::error::ApiError;
use crate::state::AppState;

/// Looks a schedule entry up by name, 404 `unknown_schedule` otherwise.
pub(crate) fn find_entry<'a>(state: &'a AppState, name: &str) -> Result<&'a Entry, ApiError> {
    state.schedules.get(name).ok_or_else(|| ApiError::NotFound {
        code: "unknown_schedule",
        message: format!(
            "unknown schedule `{}`",
            name.chars().take(100).collect::<String>()
        ),
    })
}
