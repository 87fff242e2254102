//! May this principal run this job on this resource? The rule of `POST /api/v1/jobs`, the dashboard's run
//! form and the workers' re-check when the job runs.

use diesel::PgConnection;

use super::{Access, Principal, Resource, access_to};
use crate::db::DbError;
use crate::models::user::Role;

/// Why a run is refused. The API answers 403 for `RoleBelow` and `ReadOnly`, 404 for `Hidden` (as the
/// resource's own endpoint does, so ids of other users' resources are not probed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this job requires the {0} role or higher")]
    RoleBelow(Role),
    #[error("the job's {0} does not exist or is not visible to its actor")]
    Hidden(Resource),
    #[error("the job's actor may see but not change its {0}")]
    ReadOnly(Resource),
}

/// Checks the job's run role, then the principal's access to the resource the payload touches.
pub fn may_run(
    conn: &mut PgConnection,
    principal: &Principal,
    run_role: Role,
    resource: Resource,
) -> Result<Result<(), Refusal>, DbError> {
    if !principal.role.at_least(run_role) {
        return Ok(Err(Refusal::RoleBelow(run_role)));
    }
    Ok(match access_to(conn, principal, resource)? {
        Access::Write => Ok(()),
        Access::ReadOnly => Err(Refusal::ReadOnly(resource)),
        Access::Hidden => Err(Refusal::Hidden(resource)),
    })
}
