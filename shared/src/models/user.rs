//! Accounts that sign in to the API: argon2id password hashes, roles, case-insensitive email lookup.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rand::TryRngCore;
use rand::distr::{Alphanumeric, SampleString};
use rand::rngs::OsRng;

use super::sql::lower;
use super::{TeamId, UserId};
use crate::db::DbError;
use crate::schema::users;

/// Name of the unique index on `lower(email)`.
const EMAIL_UNIQUE_INDEX: &str = "users_email_lower_key";

/// Length of passwords made by [`generate_password`].
pub const GENERATED_PASSWORD_LEN: usize = 24;

text_enum! {
    /// What a user may do, ordered: `Admin > Manager > User > Viewer`.
    #[derive(PartialOrd, Ord)]
    pub enum Role ("role") {
        Viewer => "viewer",
        User => "user",
        Manager => "manager",
        Admin => "admin",
    }
}

impl Role {
    /// True when this role grants at least what `other` grants.
    pub fn at_least(&self, other: Role) -> bool {
        *self >= other
    }
}

/// A row of `users`. `Debug` and `Serialize` leave out the password hash.
#[derive(Clone, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: UserId,
    pub email: String,
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub display_name: Option<String>,
    pub active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Version of the user's access tokens and dashboard sessions: those issued under an older version are
    /// refused. Bumped by a password change, a deactivation and an API logout.
    pub token_version: i32,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("team_id", &self.team_id)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// Insert form of [`User`]; build it through [`create_user`], which hashes the password.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub display_name: Option<&'a str>,
}

/// Creates an active user with an argon2id hash of `password`. An email already taken (whatever its case)
/// gives [`DbError::EmailTaken`].
pub fn create_user(
    conn: &mut PgConnection,
    email: &str,
    password: &str,
    role: Role,
    team: Option<TeamId>,
) -> Result<User, DbError> {
    let hash = hash_password(password)?;
    let new = NewUser {
        email: email.trim(),
        password_hash: &hash,
        role,
        team_id: team,
        display_name: None,
    };
    diesel::insert_into(users::table)
        .values(&new)
        .returning(User::as_returning())
        .get_result(conn)
        .map_err(|e| match DbError::from(e) {
            DbError::UniqueViolation { constraint }
                if constraint.as_deref() == Some(EMAIL_UNIQUE_INDEX) =>
            {
                DbError::EmailTaken
            }
            other => other,
        })
}

/// Hashes a password with argon2id (the argon2 crate's default parameters) and a random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, DbError> {
    let mut salt = [0u8; 16];
    OsRng
        .try_fill_bytes(&mut salt)
        .map_err(|e| DbError::PasswordHash(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| DbError::PasswordHash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DbError::PasswordHash(e.to_string()))
}

/// Checks `candidate` against a PHC hash in constant time; a malformed hash never verifies.
pub fn verify_password(hash: &str, candidate: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A random password of 24 ASCII letters and digits drawn from the operating system's generator.
pub fn generate_password() -> String {
    let mut rng = OsRng.unwrap_err();
    Alphanumeric.sample_string(&mut rng, GENERATED_PASSWORD_LEN)
}

/// Finds an active user by email, ignoring case.
pub fn find_active_by_email(conn: &mut PgConnection, email: &str) -> Result<Option<User>, DbError> {
    Ok(users::table
        .filter(lower(users::email).eq(lower(email.trim())))
        .filter(users::active.eq(true))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Finds a user by id, active or not.
pub fn find_user(conn: &mut PgConnection, id: UserId) -> Result<Option<User>, DbError> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Stamps `last_login_at` with the current time.
pub fn record_login(conn: &mut PgConnection, id: UserId) -> Result<(), DbError> {
    let updated = diesel::update(users::table.find(id))
        .set(users::last_login_at.eq(diesel::dsl::now))
        .execute(conn)?;
    if updated == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Number of active admins (inactive ones cannot sign in, so they do not count).
pub fn count_admins(conn: &mut PgConnection) -> Result<i64, DbError> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)?)
}

/// Turns an account on or off; an inactive user cannot sign in. Turning it off also revokes its tokens
/// and sessions (the token version is bumped), so turning it on again does not revive them.
pub fn set_active(conn: &mut PgConnection, id: UserId, active: bool) -> Result<(), DbError> {
    let bump = if active { 0 } else { 1 };
    let updated = diesel::update(users::table.find(id))
        .set((
            users::active.eq(active),
            users::token_version.eq(users::token_version + bump),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Sets a new password (argon2id) and revokes every token and session of the user; returns the new token
/// version.
pub fn set_password(conn: &mut PgConnection, id: UserId, password: &str) -> Result<i32, DbError> {
    let hash = hash_password(password)?;
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(&hash),
            users::token_version.eq(users::token_version + 1),
        ))
        .returning(users::token_version)
        .get_result(conn)
        .optional()?
        .ok_or(DbError::NotFound)
}

/// Revokes every token and session of the user (logout everywhere); returns the new token version.
pub fn bump_token_version(conn: &mut PgConnection, id: UserId) -> Result<i32, DbError> {
    diesel::update(users::table.find(id))
        .set(users::token_version.eq(users::token_version + 1))
        .returning(users::token_version)
        .get_result(conn)
        .optional()?
        .ok_or(DbError::NotFound)
}

/// The current team of each of `ids` (users without a team, and unknown ids, are absent).
pub fn teams_of(
    conn: &mut PgConnection,
    ids: &[UserId],
) -> Result<std::collections::HashMap<UserId, TeamId>, DbError> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows: Vec<(UserId, Option<TeamId>)> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::team_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, team)| team.map(|t| (id, t)))
        .collect())
}

/// Changes a user's role (takes effect at the user's next request and for their queued jobs).
pub fn set_role(conn: &mut PgConnection, id: UserId, role: Role) -> Result<(), DbError> {
    let updated = diesel::update(users::table.find(id))
        .set(users::role.eq(role))
        .execute(conn)?;
    if updated == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Puts a user in a team (or in none).
pub fn set_team(conn: &mut PgConnection, id: UserId, team: Option<TeamId>) -> Result<(), DbError> {
    let updated = diesel::update(users::table.find(id))
        .set(users::team_id.eq(team))
        .execute(conn)?;
    if updated == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}
