//! What users chose among the suggestions of a form field (`ai_user_preferences`): kept 90 days, deleted
//! on request; read by the field suggestions' learning boost.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::{TeamId, UserId};
use crate::db::DbError;
use crate::schema::ai_user_preferences as p;

text_enum! {
    /// What the user did with the suggestions.
    pub enum PreferenceAction ("preference action") {
        Accept => "accept",
        Reject => "reject",
        /// Typed a value of their own.
        Manual => "manual",
        /// Closed the menu without choosing.
        Ignore => "ignore",
    }
}

/// Insert form of a choice.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = p)]
pub struct NewPreference {
    pub user_id: UserId,
    pub team_id: Option<TeamId>,
    pub field_name: String,
    pub action: PreferenceAction,
    pub suggested_value: Option<String>,
    pub final_value: Option<String>,
    pub suggestion_rank: Option<i32>,
    pub suggestion_confidence: Option<f32>,
}

/// Records a choice; returns its id.
pub fn record(conn: &mut PgConnection, new: &NewPreference) -> Result<i64, DbError> {
    Ok(diesel::insert_into(p::table)
        .values(new)
        .returning(p::id)
        .get_result(conn)?)
}

/// Counts of a user's choices by field and action (unexpired only).
pub fn counts(
    conn: &mut PgConnection,
    user: UserId,
) -> Result<Vec<(String, PreferenceAction, i64)>, DbError> {
    Ok(p::table
        .filter(p::user_id.eq(user))
        .filter(p::expires_at.gt(Utc::now()))
        .group_by((p::field_name, p::action))
        .select((p::field_name, p::action, diesel::dsl::count_star()))
        .order((p::field_name, p::action))
        .load(conn)?)
}

/// How many times each value of `field` was accepted (with the latest time), by `user`, or by members
/// of `team` when given (unexpired only).
pub fn accepted_values(
    conn: &mut PgConnection,
    field: &str,
    user: Option<UserId>,
    team: Option<TeamId>,
) -> Result<Vec<(String, i64, DateTime<Utc>)>, DbError> {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        value: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = Timestamptz)]
        at: DateTime<Utc>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT final_value AS value, count(*) AS n, max(created_at) AS at FROM ai_user_preferences \
         WHERE field_name = $1 AND action = 'accept' AND final_value IS NOT NULL AND expires_at > now() \
         AND ($2::bigint IS NULL OR user_id = $2) AND ($3::bigint IS NULL OR team_id = $3) \
         GROUP BY final_value",
    )
    .bind::<Text, _>(field)
    .bind::<Nullable<BigInt>, _>(user.map(|u| u.0))
    .bind::<Nullable<BigInt>, _>(team.map(|t| t.0))
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.value, r.n, r.at)).collect())
}

/// Deletes every choice of `user` (their right to erasure); the number deleted.
pub fn delete_of(conn: &mut PgConnection, user: UserId) -> Result<usize, DbError> {
    Ok(diesel::delete(p::table.filter(p::user_id.eq(user))).execute(conn)?)
}

/// Deletes the expired choices; the number deleted.
pub fn delete_expired(conn: &mut PgConnection) -> Result<usize, DbError> {
    Ok(diesel::delete(p::table.filter(p::expires_at.le(Utc::now()))).execute(conn)?)
}
