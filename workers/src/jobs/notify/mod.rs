//! Notification jobs: thin handlers over `crm-events`.

mod task_due;

pub use task_due::task_due;
