//! Monthly compliance reports (`rgpd_reports`): the figures, and the same as HTML and PDF for download.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use crate::db::DbError;
use crate::schema::rgpd_reports as r;

/// A report without its documents (listing).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = r, check_for_backend(diesel::pg::Pg))]
pub struct ReportSummary {
    pub id: i64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub generated_at: DateTime<Utc>,
    pub figures: serde_json::Value,
}

/// Stores the report of the period starting `period_start` (replacing an earlier run's); its id.
pub fn upsert(
    conn: &mut PgConnection,
    period_start: NaiveDate,
    period_end: NaiveDate,
    figures: &serde_json::Value,
    html: &str,
    pdf: &[u8],
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(r::table)
        .values((
            r::period_start.eq(period_start),
            r::period_end.eq(period_end),
            r::figures.eq(figures),
            r::html.eq(html),
            r::pdf.eq(pdf),
        ))
        .on_conflict(r::period_start)
        .do_update()
        .set((
            r::period_end.eq(period_end),
            r::figures.eq(figures),
            r::html.eq(html),
            r::pdf.eq(pdf),
            r::generated_at.eq(Utc::now()),
        ))
        .returning(r::id)
        .get_result(conn)?)
}

/// Reports newest period first.
pub fn list(conn: &mut PgConnection, limit: i64) -> Result<Vec<ReportSummary>, DbError> {
    Ok(r::table
        .select(ReportSummary::as_select())
        .order(r::period_start.desc())
        .limit(limit)
        .load(conn)?)
}

/// The HTML of report `id`.
pub fn html(conn: &mut PgConnection, id: i64) -> Result<Option<String>, DbError> {
    Ok(r::table.find(id).select(r::html).first(conn).optional()?)
}

/// The PDF of report `id`.
pub fn pdf(conn: &mut PgConnection, id: i64) -> Result<Option<Vec<u8>>, DbError> {
    Ok(r::table.find(id).select(r::pdf).first(conn).optional()?)
}
