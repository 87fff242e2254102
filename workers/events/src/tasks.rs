//! Tasks falling due (`notify.task_due`): one `task.due` event per open task whose due time passed,
//! written in the transaction that marks the task notified, so each due date notifies once.

use diesel::prelude::*;
use shared::db::DbError;

/// Tasks handled per statement.
const BATCH: i64 = 1_000;

/// Writes the `task.due` events of every task due by now and not yet notified; returns how many.
pub fn mark_due(conn: &mut PgConnection) -> Result<usize, DbError> {
    let mut total = 0;
    loop {
        let n = diesel::sql_query(
            "WITH due AS ( \
                 SELECT id FROM tasks \
                 WHERE due_at <= now() AND due_notified_at IS NULL AND status IN ('todo', 'in_progress') \
                   AND assigned_user_id IS NOT NULL \
                 ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED), \
             marked AS ( \
                 UPDATE tasks t SET due_notified_at = now() FROM due WHERE t.id = due.id \
                 RETURNING t.id, t.assigned_user_id, t.priority, t.due_at, t.organisation_id, t.person_id) \
             INSERT INTO events (event_type, data) \
             SELECT 'task.due', jsonb_strip_nulls(jsonb_build_object( \
                 'id', id, 'assigned_user_id', assigned_user_id, 'priority', priority, 'due_at', due_at, \
                 'organisation_id', organisation_id, 'person_id', person_id)) \
             FROM marked ORDER BY due_at",
        )
        .bind::<diesel::sql_types::BigInt, _>(BATCH)
        .execute(conn)?;
        total += n;
        if (n as i64) < BATCH {
            return Ok(total);
        }
    }
}
