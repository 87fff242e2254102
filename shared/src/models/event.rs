//! The `events` outbox: rows written by database triggers, read by the workers' relay (see
//! [`crate::events`]).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::DbError;
use crate::schema::events as ev;

/// A row of `events`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = ev, check_for_backend(diesel::pg::Pg))]
pub struct Event {
    pub id: i64,
    pub event_type: String,
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub relayed_at: Option<DateTime<Utc>>,
}

/// Writes an event from Rust (the triggers write the others).
pub fn emit(
    conn: &mut PgConnection,
    event_type: &str,
    data: &serde_json::Value,
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(ev::table)
        .values((ev::event_type.eq(event_type), ev::data.eq(data)))
        .returning(ev::id)
        .get_result(conn)?)
}

/// Locks up to `limit` events not yet relayed, oldest first, skipping those another relay holds. Call in
/// a transaction that marks them relayed ([`mark_relayed`]) before it commits.
pub fn claim_pending(conn: &mut PgConnection, limit: i64) -> Result<Vec<Event>, DbError> {
    Ok(ev::table
        .filter(ev::relayed_at.is_null())
        .select(Event::as_select())
        .order(ev::id.asc())
        .limit(limit)
        .for_update()
        .skip_locked()
        .load(conn)?)
}

pub fn mark_relayed(conn: &mut PgConnection, ids: &[i64]) -> Result<(), DbError> {
    diesel::update(ev::table.filter(ev::id.eq_any(ids)))
        .set(ev::relayed_at.eq(diesel::dsl::now))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut PgConnection, id: i64) -> Result<Option<Event>, DbError> {
    Ok(ev::table
        .find(id)
        .select(Event::as_select())
        .first(conn)
        .optional()?)
}

/// Events waiting for the relay, and the age in seconds of the oldest (health, metrics).
pub fn backlog(conn: &mut PgConnection) -> Result<(i64, f64), DbError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
        #[diesel(sql_type = diesel::sql_types::Double)]
        age: f64,
    }
    let r: Row = diesel::sql_query(
        "SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age \
         FROM events WHERE relayed_at IS NULL",
    )
    .get_result(conn)?;
    Ok((r.n, r.age))
}

/// Deletes relayed events older than `before`; returns how many.
pub fn purge_relayed(conn: &mut PgConnection, before: DateTime<Utc>) -> Result<usize, DbError> {
    Ok(diesel::delete(
        ev::table
            .filter(ev::relayed_at.is_not_null())
            .filter(ev::created_at.lt(before)),
    )
    .execute(conn)?)
}
