//! Data subjects' requests (`rgpd_requests`): an export (Art. 15/20) or an erasure (Art. 17) of a person of
//! the CRM or of a user account, from request to completion (the legal deadline is one month), and the
//! export archive until its one download (`rgpd_export_files`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::UserId;
use crate::db::DbError;
use crate::schema::{rgpd_export_files as f, rgpd_requests as r};

id_newtype!(
    /// Id of a row of `rgpd_requests`.
    RgpdRequestId
);

text_enum! {
    pub enum RequestKind ("request kind") {
        Export => "export",
        Erasure => "erasure",
    }
}

text_enum! {
    /// Whose data a request is about.
    pub enum SubjectType ("subject type") {
        /// A person (contact) of the CRM.
        Person => "person",
        /// A user account of the CRM.
        User => "user",
    }
}

text_enum! {
    pub enum RequestState ("request state") {
        /// A user's erasure of their own account waits for their password.
        AwaitingConfirmation => "awaiting_confirmation",
        Queued => "queued",
        Running => "running",
        Done => "done",
        Failed => "failed",
        Cancelled => "cancelled",
    }
}

/// A row of `rgpd_requests`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = r, check_for_backend(diesel::pg::Pg))]
pub struct RgpdRequest {
    pub id: RgpdRequestId,
    pub kind: RequestKind,
    pub subject_type: SubjectType,
    pub subject_id: i64,
    pub requested_by: Option<UserId>,
    pub state: RequestState,
    pub reason: Option<String>,
    pub job_id: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub link_expires_at: Option<DateTime<Utc>>,
    pub downloaded_at: Option<DateTime<Utc>>,
    pub counts: serde_json::Value,
}

impl RgpdRequest {
    /// True when the request is about the account of its requester (a user's own data).
    pub fn is_self_request(&self) -> bool {
        self.subject_type == SubjectType::User
            && self.requested_by.map(|u| u.0) == Some(self.subject_id)
    }
}

/// Insert form of [`RgpdRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = r)]
pub struct NewRgpdRequest {
    pub kind: RequestKind,
    pub subject_type: SubjectType,
    pub subject_id: i64,
    pub requested_by: Option<UserId>,
    pub state: RequestState,
    pub reason: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// Stores a request; returns it.
pub fn create(conn: &mut PgConnection, new: &NewRgpdRequest) -> Result<RgpdRequest, DbError> {
    Ok(diesel::insert_into(r::table)
        .values(new)
        .returning(RgpdRequest::as_returning())
        .get_result(conn)?)
}

/// The request `id`, if any.
pub fn find(conn: &mut PgConnection, id: RgpdRequestId) -> Result<Option<RgpdRequest>, DbError> {
    Ok(r::table
        .find(id)
        .select(RgpdRequest::as_select())
        .first(conn)
        .optional()?)
}

/// Requests newest first: every one, or those `requested_by` made or that are about them.
pub fn list(
    conn: &mut PgConnection,
    of_user: Option<UserId>,
    limit: i64,
) -> Result<Vec<RgpdRequest>, DbError> {
    let mut q = r::table.select(RgpdRequest::as_select()).into_boxed();
    if let Some(u) = of_user {
        q = q.filter(
            r::requested_by.eq(u).or(r::subject_type
                .eq(SubjectType::User)
                .and(r::subject_id.eq(u.0))),
        );
    }
    Ok(q.order(r::id.desc()).limit(limit).load(conn)?)
}

/// Records the job that carries the request and moves it to `queued` (from `awaiting_confirmation`, with
/// the confirmation time, or from `queued` itself).
pub fn mark_queued(
    conn: &mut PgConnection,
    id: RgpdRequestId,
    job_id: &str,
) -> Result<(), DbError> {
    diesel::update(r::table.find(id))
        .set((
            r::job_id.eq(job_id),
            r::state.eq(RequestState::Queued),
            r::confirmed_at.eq(Some(Utc::now())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves a queued (or retried running) request to `running`; false when it is in another state.
pub fn start(conn: &mut PgConnection, id: RgpdRequestId) -> Result<bool, DbError> {
    let n = diesel::update(
        r::table
            .find(id)
            .filter(r::state.eq_any([RequestState::Queued, RequestState::Running])),
    )
    .set(r::state.eq(RequestState::Running))
    .execute(conn)?;
    Ok(n == 1)
}

/// Marks the request done with its per-table counts (and, for an export, when its link stops working).
pub fn complete(
    conn: &mut PgConnection,
    id: RgpdRequestId,
    counts: &serde_json::Value,
    link_expires_at: Option<DateTime<Utc>>,
) -> Result<(), DbError> {
    diesel::update(r::table.find(id))
        .set((
            r::state.eq(RequestState::Done),
            r::completed_at.eq(Utc::now()),
            r::counts.eq(counts),
            r::link_expires_at.eq(link_expires_at),
            r::error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks the request failed with a reason (no personal data in it).
pub fn fail(conn: &mut PgConnection, id: RgpdRequestId, error: &str) -> Result<(), DbError> {
    diesel::update(r::table.find(id))
        .set((r::state.eq(RequestState::Failed), r::error.eq(error)))
        .execute(conn)?;
    Ok(())
}

/// Stores the archive of an export (replacing an earlier attempt's).
pub fn store_export_file(
    conn: &mut PgConnection,
    id: RgpdRequestId,
    file_name: &str,
    content: &[u8],
) -> Result<(), DbError> {
    diesel::insert_into(f::table)
        .values((
            f::request_id.eq(id),
            f::file_name.eq(file_name),
            f::content.eq(content),
        ))
        .on_conflict(f::request_id)
        .do_update()
        .set((f::file_name.eq(file_name), f::content.eq(content)))
        .execute(conn)?;
    Ok(())
}

/// Why an export cannot be downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadRefusal {
    /// No such export, or not finished.
    NotReady,
    /// Already downloaded once, or the link has expired (the archive is gone).
    Gone,
}

/// Takes the archive of export `id` for its one download: marks it downloaded and deletes it, in one
/// transaction, so two clicks cannot both get it.
pub fn take_export_file(
    conn: &mut PgConnection,
    id: RgpdRequestId,
) -> Result<Result<(String, Vec<u8>), DownloadRefusal>, DbError> {
    conn.transaction(|conn| {
        let Some(req) = r::table
            .find(id)
            .select(RgpdRequest::as_select())
            .for_update()
            .first(conn)
            .optional()?
        else {
            return Ok(Err(DownloadRefusal::NotReady));
        };
        if req.kind != RequestKind::Export || req.state != RequestState::Done {
            return Ok(Err(DownloadRefusal::NotReady));
        }
        let expired = req.link_expires_at.is_none_or(|t| t <= Utc::now());
        if req.downloaded_at.is_some() || expired {
            return Ok(Err(DownloadRefusal::Gone));
        }
        let file: Option<(String, Vec<u8>)> = diesel::delete(f::table.find(id))
            .returning((f::file_name, f::content))
            .get_result(conn)
            .optional()?;
        let Some(file) = file else {
            return Ok(Err(DownloadRefusal::Gone));
        };
        diesel::update(r::table.find(id))
            .set(r::downloaded_at.eq(Utc::now()))
            .execute(conn)?;
        Ok(Ok(file))
    })
}

/// Deletes export archives whose link has expired; the number deleted.
pub fn delete_expired_files(conn: &mut PgConnection) -> Result<usize, DbError> {
    Ok(diesel::sql_query(
        "DELETE FROM rgpd_export_files f USING rgpd_requests r \
         WHERE r.id = f.request_id AND r.link_expires_at <= now()",
    )
    .execute(conn)?)
}

/// Deletes every export archive about a subject (an erasure leaves no copy behind).
pub fn delete_files_of(
    conn: &mut PgConnection,
    subject_type: SubjectType,
    subject_ids: &[i64],
) -> Result<usize, DbError> {
    Ok(diesel::delete(
        f::table.filter(
            f::request_id.eq_any(
                r::table
                    .filter(r::subject_type.eq(subject_type))
                    .filter(r::subject_id.eq_any(subject_ids))
                    .select(r::id),
            ),
        ),
    )
    .execute(conn)?)
}

/// The open request (awaiting confirmation, queued or running) of `kind` about a subject, if any.
pub fn find_open(
    conn: &mut PgConnection,
    kind: RequestKind,
    subject_type: SubjectType,
    subject_id: i64,
) -> Result<Option<RgpdRequest>, DbError> {
    Ok(r::table
        .filter(r::kind.eq(kind))
        .filter(r::subject_type.eq(subject_type))
        .filter(r::subject_id.eq(subject_id))
        .filter(r::state.eq_any([
            RequestState::AwaitingConfirmation,
            RequestState::Queued,
            RequestState::Running,
        ]))
        .select(RgpdRequest::as_select())
        .order(r::id.desc())
        .first(conn)
        .optional()?)
}

/// Cancels a request still awaiting confirmation (its window passed).
pub fn cancel(conn: &mut PgConnection, id: RgpdRequestId) -> Result<(), DbError> {
    diesel::update(
        r::table
            .find(id)
            .filter(r::state.eq(RequestState::AwaitingConfirmation)),
    )
    .set(r::state.eq(RequestState::Cancelled))
    .execute(conn)?;
    Ok(())
}
