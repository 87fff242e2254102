//! Where a long piece of domain work reports how far it got. Domain code takes a `&dyn ReportProgress`;
//! the job runtime passes the running job (its record shows the figure), tests pass [`NoProgress`].

use futures::future::BoxFuture;

/// Receives progress reports: percent 0..=100 and a short message without personal data.
pub trait ReportProgress: Send + Sync {
    fn report<'a>(&'a self, percent: u8, message: &'a str) -> BoxFuture<'a, ()>;
}

/// Discards progress reports (tests, callers without a job).
pub struct NoProgress;

impl ReportProgress for NoProgress {
    fn report<'a>(&'a self, _percent: u8, _message: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}
