//! Webhook jobs: thin handlers over `crm-webhooks`.

mod deliver;
mod sweep;

pub use deliver::deliver;
pub use sweep::sweep;
