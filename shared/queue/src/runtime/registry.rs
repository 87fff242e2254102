//! Handlers by job name. Every catalogue job must have one (checked at boot and by a test).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Serialize;
use shared::jobs::{Job, JobSpec, catalogue, decode_payload};

use super::{JobCtx, JobError};

type HandlerFn = Arc<
    dyn Fn(JobCtx, serde_json::Value) -> BoxFuture<'static, Result<serde_json::Value, JobError>>
        + Send
        + Sync,
>;

/// A registered job: its catalogue entry and its handler, found together with one lookup by name.
#[derive(Clone)]
pub(crate) struct Registered {
    pub(crate) spec: JobSpec,
    pub(crate) handler: HandlerFn,
}

/// The handler table.
#[derive(Default, Clone)]
pub struct Registry {
    handlers: HashMap<&'static str, Registered>,
}

impl Registry {
    /// Registers the handler of job `J`: it receives the decoded payload and returns a serialisable result.
    pub fn register<J, F, Fut, R>(&mut self, handler: F) -> &mut Self
    where
        J: Job,
        F: Fn(JobCtx, J) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, JobError>> + Send + 'static,
        R: Serialize,
    {
        let handler = Arc::new(handler);
        let f: HandlerFn = Arc::new(move |ctx, payload| {
            let handler = handler.clone();
            async move {
                let job: J = decode_payload(&payload).map_err(JobError::permanent)?;
                let out = handler(ctx, job).await?;
                serde_json::to_value(out).map_err(JobError::permanent)
            }
            .boxed()
        });
        self.handlers.insert(
            J::NAME,
            Registered {
                spec: JobSpec::of::<J>(),
                handler: f,
            },
        );
        self
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Registered> {
        self.handlers.get(name)
    }

    /// Catalogue jobs without a handler.
    pub fn missing(&self) -> Vec<&'static str> {
        catalogue::all()
            .iter()
            .filter(|s| !self.handlers.contains_key(s.name))
            .map(|s| s.name)
            .collect()
    }
}
