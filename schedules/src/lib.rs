//! The cron table of the platform and the runner that fires it once per cluster.
//!
//! Every worker replica runs the [`Runner`]; a Redis lease elects one leader that enqueues the due ticks.
//! Each tick is enqueued with the idempotency key `sched:{entry}:{tick}`, so a leader change can neither
//! fire a tick twice nor (within the catch-up window) skip it.

mod lease;
mod runner;
mod table;

pub use lease::Lease;
pub use runner::{Runner, TickResult, enabled_overrides, fire, set_enabled};
pub use table::{Entry, ScheduleError, ScheduleTable, TABLE};
