//! `rgpd.compliance_report`: the month's figures (subjects and anonymisations, requests and how long they
//! took against the one-month deadline, access-log volume, anomalies), stored with an HTML and a PDF
//! rendering for download.

mod figures;
mod html;
mod pdf;

use chrono::{Datelike, NaiveDate, Utc};
use crm_queue::JobError;
use shared::db::run_blocking;
use shared::models::rgpd_report;

pub use figures::{Anomaly, Figures, RequestFigures, gather};
pub use html::render as render_html;
pub use pdf::render as render_pdf;

use crate::RgpdEnv;

/// First day of the month before `today`'s.
pub fn previous_month(today: NaiveDate) -> NaiveDate {
    let first = today.with_day(1).unwrap_or(today);
    let prev = first.pred_opt().unwrap_or(first);
    prev.with_day(1).unwrap_or(prev)
}

/// First day of the month after `start`'s.
pub fn next_month(start: NaiveDate) -> NaiveDate {
    let (y, m) = if start.month() == 12 {
        (start.year() + 1, 1)
    } else {
        (start.year(), start.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(start)
}

/// Gathers, renders and stores the report of the month starting `month` (default: the previous month);
/// returns the report's id and its figures.
pub async fn run(env: &RgpdEnv, month: Option<NaiveDate>) -> Result<(i64, Figures), JobError> {
    let start = month
        .map(|m| m.with_day(1).unwrap_or(m))
        .unwrap_or_else(|| previous_month(Utc::now().date_naive()));
    let end = next_month(start);
    let cfg = env.config.clone();
    run_blocking(&env.pool, move |c| {
        let figures = gather(c, &cfg, start, end)?;
        let html = render_html(&figures);
        let pdf = render_pdf(&figures);
        let value = serde_json::to_value(&figures).unwrap_or_default();
        let id = rgpd_report::upsert(c, start, end, &value, &html, &pdf)?;
        Ok((id, figures))
    })
    .await
    .map_err(|e| JobError::db(e, "building the compliance report"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_roll_over_years() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(previous_month(d(2026, 1, 15)), d(2025, 12, 1));
        assert_eq!(previous_month(d(2026, 3, 1)), d(2026, 2, 1));
        assert_eq!(next_month(d(2025, 12, 1)), d(2026, 1, 1));
    }
}
