//! Campaign jobs: thin handlers over `crm-campaigns`.

mod send;
mod tick;

pub use send::send;
pub use tick::tick;
