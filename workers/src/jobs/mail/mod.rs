//! Mailbox jobs (see `shared::jobs::payloads::mail`); the work is the `crm-mailbox` crate's.

mod cleanup;
mod import;
mod sync_account;
mod sync_all;

pub use cleanup::cleanup;
pub use import::import;
pub use sync_account::{sync_account, sync_error};
pub use sync_all::sync_all;
