//! Handlers by job name. Every catalogue job must have one (checked at boot and by a test).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Serialize;
use shared::db::run_blocking;
use shared::jobs::{Job, JobSpec, catalogue, decode_payload};
use shared::models::UserId;
use shared::models::user::Role;
use shared::permissions::{Actor, Resource, load_principal, may_run};

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

/// Why a job enqueued by a user no longer runs: the user was deactivated, lost the job's role, or lost
/// the right to change the job's resource since the job was enqueued.
#[derive(Debug, thiserror::Error)]
enum ActorRevoked {
    #[error("the job's actor (user {0}) is no longer an active user")]
    Inactive(UserId),
    #[error("the job's actor (user {0}) may no longer run it: {1}")]
    Refused(UserId, shared::permissions::Refusal),
}

/// Every job checks who may act on the resource it touches: a job enqueued by a user runs only if that user,
/// as they are now, may still run it on its resource (the rule of `POST /api/v1/jobs`). A refusal is
/// permanent, before the handler touches anything; jobs of the system pass.
async fn recheck_actor(
    ctx: &JobCtx,
    user: UserId,
    run_role: Role,
    resource: Resource,
) -> Result<(), JobError> {
    let verdict = run_blocking(&ctx.app.db, move |conn| {
        let Some(principal) = load_principal(conn, user)? else {
            return Ok(Err(ActorRevoked::Inactive(user)));
        };
        Ok(may_run(conn, &principal, run_role, resource)?
            .map_err(|refusal| ActorRevoked::Refused(user, refusal)))
    })
    .await
    .map_err(|e| JobError::transient(anyhow::Error::new(e).context("checking the job's actor")))?;
    verdict.map_err(|revoked| {
        tracing::warn!(user.id = user.0, error = %revoked, "job refused: its actor lost the right");
        JobError::permanent(revoked)
    })
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
                if let Actor::User(user) = ctx.actor {
                    recheck_actor(&ctx, user, J::RUN_ROLE, job.resource()).await?;
                }
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
