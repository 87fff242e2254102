//! Teams group users (a user belongs to at most one).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::TeamId;
use crate::db::DbError;
use crate::schema::teams;

/// A row of `teams`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = teams, check_for_backend(diesel::pg::Pg))]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// Insert form of [`Team`].
#[derive(Debug, Insertable)]
#[diesel(table_name = teams)]
pub struct NewTeam<'a> {
    pub name: &'a str,
}

/// Creates a team; a name already taken gives [`DbError::UniqueViolation`].
pub fn create_team(conn: &mut PgConnection, name: &str) -> Result<Team, DbError> {
    Ok(diesel::insert_into(teams::table)
        .values(NewTeam { name: name.trim() })
        .returning(Team::as_returning())
        .get_result(conn)?)
}

/// Returns the team of that name, creating it when missing; safe when two callers race.
pub fn find_or_create_team(conn: &mut PgConnection, name: &str) -> Result<Team, DbError> {
    let name = name.trim();
    let inserted = diesel::insert_into(teams::table)
        .values(NewTeam { name })
        .on_conflict(teams::name)
        .do_nothing()
        .returning(Team::as_returning())
        .get_result(conn)
        .optional()?;
    match inserted {
        Some(team) => Ok(team),
        None => find_team_by_name(conn, name)?.ok_or(DbError::NotFound),
    }
}

/// Finds a team by its exact name.
pub fn find_team_by_name(conn: &mut PgConnection, name: &str) -> Result<Option<Team>, DbError> {
    Ok(teams::table
        .filter(teams::name.eq(name))
        .select(Team::as_select())
        .first(conn)
        .optional()?)
}

/// Every team, by name.
pub fn list_teams(conn: &mut PgConnection) -> Result<Vec<Team>, DbError> {
    Ok(teams::table
        .order(teams::name.asc())
        .select(Team::as_select())
        .load(conn)?)
}
