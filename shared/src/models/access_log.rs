//! The data access log (`data_access_logs`): who read, exported, changed, deleted or anonymised which
//! person, organisation, interaction, user or mailbox. Ids only; the caller's IP is a keyed hash.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::UserId;
use crate::db::DbError;
use crate::schema::data_access_logs as l;

text_enum! {
    /// What was done with the personal data.
    pub enum AccessAction ("access action") {
        Read => "read",
        Export => "export",
        Update => "update",
        Delete => "delete",
        Anonymise => "anonymise",
    }
}

text_enum! {
    /// Whose data: the kinds of record that hold personal data.
    pub enum EntityType ("entity type") {
        Person => "person",
        Organisation => "organisation",
        Interaction => "interaction",
        User => "user",
        Mailbox => "mailbox",
    }
}

impl From<super::rgpd_request::SubjectType> for EntityType {
    /// The access log's kind of record of an RGPD request's subject.
    fn from(subject: super::rgpd_request::SubjectType) -> Self {
        match subject {
            super::rgpd_request::SubjectType::Person => EntityType::Person,
            super::rgpd_request::SubjectType::User => EntityType::User,
        }
    }
}

/// A row of `data_access_logs`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = l, check_for_backend(diesel::pg::Pg))]
pub struct AccessLogEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who acted; `None` for the platform's own jobs.
    #[schema(value_type = Option<i64>)]
    pub user_id: Option<UserId>,
    #[schema(value_type = String)]
    pub action: AccessAction,
    #[schema(value_type = String)]
    pub entity_type: EntityType,
    /// `None` for a listing.
    pub entity_id: Option<i64>,
    /// `METHOD /pattern` of the route, or `job <name>`.
    pub route: String,
    /// HMAC-SHA-256 of the caller's IP under the RGPD key.
    pub ip_hash: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// Insert form of [`AccessLogEntry`].
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = l)]
pub struct NewAccessLog {
    pub at: DateTime<Utc>,
    pub user_id: Option<UserId>,
    pub action: AccessAction,
    pub entity_type: EntityType,
    pub entity_id: Option<i64>,
    pub route: String,
    pub ip_hash: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl NewAccessLog {
    /// An entry of the platform itself (a job), no caller.
    pub fn by_job(
        job: &str,
        action: AccessAction,
        entity_type: EntityType,
        entity_id: i64,
    ) -> Self {
        Self {
            at: Utc::now(),
            user_id: None,
            action,
            entity_type,
            entity_id: Some(entity_id),
            route: format!("job {job}"),
            ip_hash: None,
            user_agent: None,
            request_id: None,
        }
    }
}

/// Writes entries in one statement (chunked to stay under the bind-parameter limit).
pub fn insert_batch(conn: &mut PgConnection, entries: &[NewAccessLog]) -> Result<usize, DbError> {
    let mut n = 0;
    for chunk in entries.chunks(5_000) {
        n += diesel::insert_into(l::table).values(chunk).execute(conn)?;
    }
    Ok(n)
}

/// Filters of a listing; every field optional.
#[derive(Debug, Clone, Default)]
pub struct AccessLogFilter {
    pub user_id: Option<UserId>,
    pub entity_type: Option<EntityType>,
    pub entity_id: Option<i64>,
    pub action: Option<AccessAction>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Entries with an id below this (the next page of a newest-first listing).
    pub before_id: Option<i64>,
    /// Entries about user `id` or made by them (the caller's own log).
    pub about_or_by_user: Option<UserId>,
}

/// Newest first, at most `limit` entries.
pub fn list(
    conn: &mut PgConnection,
    filter: &AccessLogFilter,
    limit: i64,
) -> Result<Vec<AccessLogEntry>, DbError> {
    let mut q = l::table.select(AccessLogEntry::as_select()).into_boxed();
    if let Some(u) = filter.user_id {
        q = q.filter(l::user_id.eq(u));
    }
    if let Some(t) = filter.entity_type {
        q = q.filter(l::entity_type.eq(t));
    }
    if let Some(id) = filter.entity_id {
        q = q.filter(l::entity_id.eq(id));
    }
    if let Some(a) = filter.action {
        q = q.filter(l::action.eq(a));
    }
    if let Some(s) = filter.since {
        q = q.filter(l::at.ge(s));
    }
    if let Some(u) = filter.until {
        q = q.filter(l::at.lt(u));
    }
    if let Some(b) = filter.before_id {
        q = q.filter(l::id.lt(b));
    }
    if let Some(me) = filter.about_or_by_user {
        q = q.filter(
            l::user_id.eq(me).or(l::entity_type
                .eq(EntityType::User)
                .and(l::entity_id.eq(me.0))),
        );
    }
    Ok(q.order(l::id.desc()).limit(limit).load(conn)?)
}

/// Deletes entries older than `cutoff`, `batch` rows per statement (short locks); the number deleted.
pub fn delete_older_than(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
    batch: i64,
) -> Result<usize, DbError> {
    let mut total = 0;
    loop {
        let n = diesel::sql_query(
            "DELETE FROM data_access_logs WHERE id IN \
             (SELECT id FROM data_access_logs WHERE at < $1 ORDER BY id LIMIT $2)",
        )
        .bind::<diesel::sql_types::Timestamptz, _>(cutoff)
        .bind::<diesel::sql_types::BigInt, _>(batch)
        .execute(conn)?;
        total += n;
        if (n as i64) < batch {
            return Ok(total);
        }
    }
}
