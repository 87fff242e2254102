//! The cron table: list with next/last fire times, run an entry now.

pub mod list;
pub mod run;
pub mod state;
