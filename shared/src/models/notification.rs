//! In-app notifications and each user's channel per kind. Created by the workers' event relay; read,
//! marked and streamed by the API.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::UserId;
use crate::db::DbError;
use crate::schema::{notification_preferences as p, notifications as n};

/// One kind of notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Kind {
    pub name: &'static str,
    /// `low`, `normal`, `high` or `critical`.
    pub priority: &'static str,
    /// Critical kinds cannot be turned off.
    pub critical: bool,
    pub description: &'static str,
}

/// Every kind the platform sends.
pub const KINDS: &[Kind] = &[
    Kind {
        name: "task_due",
        priority: "normal",
        critical: false,
        description: "A task assigned to you fell due (urgent and high tasks: high priority)",
    },
    Kind {
        name: "pipeline_stage_changed",
        priority: "normal",
        critical: false,
        description: "An organisation you own moved to another pipeline stage",
    },
    Kind {
        name: "assignment",
        priority: "normal",
        critical: false,
        description: "A routing rule assigned an email to you",
    },
    Kind {
        name: "job_failed",
        priority: "high",
        critical: true,
        description: "A job failed for good or ran out of attempts (admins)",
    },
    Kind {
        name: "export_ready",
        priority: "normal",
        critical: false,
        description: "An export you asked for is ready to download",
    },
    Kind {
        name: "webhook_endpoint_disabled",
        priority: "high",
        critical: true,
        description: "The platform turned a webhook endpoint off (admins)",
    },
    Kind {
        name: "rgpd_request_received",
        priority: "critical",
        critical: true,
        description: "An RGPD request was filed; the one-month deadline runs (admins)",
    },
];

/// The kind named `name`.
pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

/// A row of `notifications`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = n, check_for_backend(diesel::pg::Pg))]
pub struct Notification {
    pub id: i64,
    #[schema(value_type = i64)]
    pub user_id: UserId,
    pub kind: String,
    pub priority: String,
    pub title: String,
    pub body: String,
    /// Where the front end takes the user (`/organisations/12`).
    pub link: Option<String>,
    pub data: serde_json::Value,
    pub event_id: Option<i64>,
    pub read_at: Option<DateTime<Utc>>,
    pub emailed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Insert form of [`Notification`].
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = n)]
pub struct NewNotification {
    pub user_id: UserId,
    pub kind: String,
    pub priority: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub data: serde_json::Value,
    pub event_id: Option<i64>,
}

/// Inserts notifications, one per (event, user) however often it is called; returns the new rows.
pub fn insert_many(
    conn: &mut PgConnection,
    rows: &[NewNotification],
) -> Result<Vec<Notification>, DbError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::insert_into(n::table)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(Notification::as_returning())
        .get_results(conn)?)
}

/// The newest notifications of `user`, `limit` of them before id `before`, unread ones only if asked.
pub fn list_for(
    conn: &mut PgConnection,
    user: UserId,
    unread_only: bool,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Notification>, DbError> {
    let mut q = n::table
        .filter(n::user_id.eq(user))
        .select(Notification::as_select())
        .order(n::id.desc())
        .limit(limit)
        .into_boxed();
    if unread_only {
        q = q.filter(n::read_at.is_null());
    }
    if let Some(b) = before {
        q = q.filter(n::id.lt(b));
    }
    Ok(q.load(conn)?)
}

/// The notifications of `user` after id `after`, oldest first (a stream's catch-up after a reconnect).
pub fn after(
    conn: &mut PgConnection,
    user: UserId,
    after: i64,
    limit: i64,
) -> Result<Vec<Notification>, DbError> {
    Ok(n::table
        .filter(n::user_id.eq(user))
        .filter(n::id.gt(after))
        .select(Notification::as_select())
        .order(n::id.asc())
        .limit(limit)
        .load(conn)?)
}

pub fn unread_count(conn: &mut PgConnection, user: UserId) -> Result<i64, DbError> {
    Ok(n::table
        .filter(n::user_id.eq(user))
        .filter(n::read_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Marks notification `id` of `user` read; `None` when `user` has no such notification.
pub fn mark_read(
    conn: &mut PgConnection,
    user: UserId,
    id: i64,
) -> Result<Option<Notification>, DbError> {
    conn.transaction(|conn| {
        diesel::update(
            n::table
                .filter(n::id.eq(id))
                .filter(n::user_id.eq(user))
                .filter(n::read_at.is_null()),
        )
        .set(n::read_at.eq(diesel::dsl::now))
        .execute(conn)?;
        Ok(n::table
            .filter(n::id.eq(id))
            .filter(n::user_id.eq(user))
            .select(Notification::as_select())
            .first(conn)
            .optional()?)
    })
}

/// Marks every unread notification of `user` read; returns how many.
pub fn mark_all_read(conn: &mut PgConnection, user: UserId) -> Result<usize, DbError> {
    Ok(diesel::update(
        n::table
            .filter(n::user_id.eq(user))
            .filter(n::read_at.is_null()),
    )
    .set(n::read_at.eq(diesel::dsl::now))
    .execute(conn)?)
}

/// A user's channel for a kind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Preference {
    pub kind: String,
    /// `in_app`, `email` (in-app and the email digest) or `off`.
    pub channel: String,
    /// Critical kinds cannot be turned off.
    pub critical: bool,
}

/// The channel of every kind for `user` (`in_app` where they chose nothing).
pub fn preferences(conn: &mut PgConnection, user: UserId) -> Result<Vec<Preference>, DbError> {
    let chosen: Vec<(String, String)> = p::table
        .filter(p::user_id.eq(user))
        .select((p::kind, p::channel))
        .load(conn)?;
    Ok(KINDS
        .iter()
        .map(|k| Preference {
            kind: k.name.to_owned(),
            channel: chosen
                .iter()
                .find(|(kind, _)| kind == k.name)
                .map_or_else(|| "in_app".to_owned(), |(_, c)| c.clone()),
            critical: k.critical,
        })
        .collect())
}

/// Sets `user`'s channel for `kind` (the caller checked both).
pub fn set_preference(
    conn: &mut PgConnection,
    user: UserId,
    kind: &str,
    channel: &str,
) -> Result<(), DbError> {
    diesel::insert_into(p::table)
        .values((
            p::user_id.eq(user),
            p::kind.eq(kind),
            p::channel.eq(channel),
        ))
        .on_conflict((p::user_id, p::kind))
        .do_update()
        .set((p::channel.eq(channel), p::updated_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    Ok(())
}

/// Among `users`, those who turned `kind` off.
pub fn muted(
    conn: &mut PgConnection,
    users: &[UserId],
    kind: &str,
) -> Result<Vec<UserId>, DbError> {
    Ok(p::table
        .filter(p::user_id.eq_any(users))
        .filter(p::kind.eq(kind))
        .filter(p::channel.eq("off"))
        .select(p::user_id)
        .load(conn)?)
}

/// The id of `user`'s newest notification (0 when none): where a fresh stream starts.
pub fn latest_id(conn: &mut PgConnection, user: UserId) -> Result<i64, DbError> {
    Ok(n::table
        .filter(n::user_id.eq(user))
        .select(diesel::dsl::max(n::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}
