//! Diagnostic jobs (see `shared::jobs::payloads::diag`).

mod fail;
mod noop;
mod sleep;

pub use fail::fail;
pub use noop::noop;
pub use sleep::sleep;
