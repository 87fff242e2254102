//! Which jobs a caller may see (`Principal::sees_job_of`): their own, their team's for managers, every job
//! for admins; jobs of the system for admins only. A job that is not visible is answered as unknown (404),
//! so ids are not probed, and its payload and result are never shown.

use std::collections::HashMap;

use crm_queue::JobRecord;
use shared::db::run_blocking;
use shared::models::user::teams_of;
use shared::models::{TeamId, UserId};
use shared::permissions::{Actor, Principal, Refusal, Resource};

use crate::error::ApiError;
use crate::state::AppState;

/// The current teams of the actors among `actors`, read only when `who` needs them (a manager in a team
/// looking at other users' jobs).
async fn teams_needed(
    state: &AppState,
    who: &Principal,
    actors: impl Iterator<Item = Actor>,
) -> Result<HashMap<UserId, TeamId>, ApiError> {
    if who.is_admin() || who.team_id.is_none() {
        return Ok(HashMap::new());
    }
    let mut ids: Vec<UserId> = actors
        .filter_map(Actor::user_id)
        .filter(|id| *id != who.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(run_blocking(&state.pool, move |conn| teams_of(conn, &ids)).await?)
}

/// True when `who` may see a job enqueued by `actor`.
pub(crate) async fn sees(
    state: &AppState,
    who: &Principal,
    actor: Actor,
) -> Result<bool, ApiError> {
    let teams = teams_needed(state, who, std::iter::once(actor)).await?;
    Ok(who.sees_job_of(actor, team_of(&teams, actor)))
}

/// The records among `records` that `who` may see, in their order.
pub(crate) async fn visible_records(
    state: &AppState,
    who: &Principal,
    records: Vec<JobRecord>,
) -> Result<Vec<JobRecord>, ApiError> {
    if who.is_admin() {
        return Ok(records);
    }
    let teams = teams_needed(state, who, records.iter().map(|r| r.actor)).await?;
    Ok(records
        .into_iter()
        .filter(|r| who.sees_job_of(r.actor, team_of(&teams, r.actor)))
        .collect())
}

fn team_of(teams: &HashMap<UserId, TeamId>, actor: Actor) -> Option<TeamId> {
    actor.user_id().and_then(|id| teams.get(&id).copied())
}

/// The answer to a refused run: 403 for a role below the job's or a resource the caller may only read,
/// 404 for a resource the caller may not see, worded as the resource's own endpoint words it.
pub(crate) fn refusal_error(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::RoleBelow(role) => {
            ApiError::Forbidden(format!("this action requires the {role} role or higher"))
        }
        Refusal::ReadOnly(_) => {
            ApiError::Forbidden("this action requires the user role or higher".to_owned())
        }
        Refusal::Hidden(resource) => ApiError::not_found(match resource {
            Resource::EmailAccount(id) => format!("email account {id} not found"),
            Resource::Interaction(id) => format!("interaction {id} not found"),
            Resource::Backup(id) => format!("backup {id} not found"),
            Resource::Organisation(id) => format!("organisation {id} not found"),
            Resource::RgpdRequest(id) => format!("RGPD request {id} not found"),
            Resource::Campaign(id) => format!("campaign {id} not found"),
            Resource::Platform => "not found".to_owned(),
        }),
    }
}
