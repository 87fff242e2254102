//! Per-field precision of autofill (`ai.accuracy_metrics`): of the suggestions decided on a day, how many
//! reviewers approved unchanged, approved after editing, rejected, and how many applied themselves.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Date, Text};
use shared::db::DbError;

/// Recomputes the rows of `day` (days in `timezone`, e.g. `Europe/Paris`); the number of (field, source)
/// rows written. Idempotent: running it twice for a day gives the same rows.
pub fn compute_day(
    conn: &mut PgConnection,
    day: NaiveDate,
    timezone: &str,
) -> Result<usize, DbError> {
    conn.transaction(|conn| {
        diesel::sql_query("DELETE FROM ai_accuracy_metrics WHERE day = $1")
            .bind::<Date, _>(day)
            .execute(conn)?;
        let n = diesel::sql_query(
            "INSERT INTO ai_accuracy_metrics (day, field, source, approved, edited, rejected, auto_applied, precision) \
             SELECT $1, field, source, \
               count(*) FILTER (WHERE status = 'approved'), \
               count(*) FILTER (WHERE status = 'approved' AND final_value IS NOT NULL), \
               count(*) FILTER (WHERE status = 'rejected'), \
               count(*) FILTER (WHERE status = 'auto_applied'), \
               CASE WHEN count(*) FILTER (WHERE status IN ('approved', 'rejected')) = 0 THEN NULL ELSE \
                 (count(*) FILTER (WHERE status = 'approved' AND final_value IS NULL))::real \
                 / count(*) FILTER (WHERE status IN ('approved', 'rejected')) END \
             FROM autofill_suggestions \
             WHERE decided_at IS NOT NULL AND (decided_at AT TIME ZONE $2)::date = $1 \
               AND status IN ('approved', 'rejected', 'auto_applied') \
             GROUP BY field, source",
        )
        .bind::<Date, _>(day)
        .bind::<Text, _>(timezone)
        .execute(conn)?;
        Ok(n)
    })
}
