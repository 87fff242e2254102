//! The rule of what users make and own (mail templates, segments, campaigns:
//! `shared::permissions::owned_access`), as their write endpoints apply it.

use diesel::PgConnection;
use shared::db::{DbError, run_blocking};
use shared::models::UserId;
use shared::permissions::{Access, owned_access};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Checks that `user` may change the record whose owner `owner_of` reads: `missing` (a 404) when there
/// is no such record, 403 unless they own it or are a manager or admin. `what` names the record in the
/// 403's message.
pub(crate) async fn check_write<F>(
    state: &AppState,
    user: &AuthUser,
    what: &'static str,
    owner_of: F,
    missing: ApiError,
) -> Result<(), ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<Option<Option<UserId>>, DbError> + Send + 'static,
{
    let owner = run_blocking(&state.pool, owner_of).await?.ok_or(missing)?;
    match owned_access(&user.principal(), owner) {
        Access::Write => Ok(()),
        Access::ReadOnly | Access::Hidden => Err(ApiError::Forbidden(format!(
            "only the {what}'s owner, managers and admins change it"
        ))),
    }
}
