//! Notification jobs: thin handlers over `crm-events`.

mod email_digest;
mod task_due;

pub use email_digest::{MailOut, email_digest};
pub use task_due::task_due;
