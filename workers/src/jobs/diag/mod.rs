//! Diagnostic jobs (see `shared::jobs::payloads::diag`).

mod echo;
mod fail;
mod noop;
mod sleep;

pub use echo::echo;
pub use fail::fail;
pub use noop::noop;
pub use sleep::sleep;
