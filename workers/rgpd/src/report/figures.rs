//! The figures of a compliance report, read from the database for one period.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamptz};
use serde::Serialize;
use shared::config::RgpdConfig;
use shared::db::DbError;

/// Requests of one kind received in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RequestFigures {
    pub received: i64,
    pub done: i64,
    pub pending: i64,
    pub failed: i64,
    /// Hours from request to completion, of those done.
    pub median_hours: Option<f64>,
    pub max_hours: Option<f64>,
    /// Done after the one-month deadline, or still open past it.
    pub late: i64,
}

/// Something an auditor should look at.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "anomaly", rename_all = "snake_case")]
pub enum Anomaly {
    /// One user exported personal data more often than the threshold.
    ExportsAboveThreshold {
        user_id: i64,
        exports: i64,
        threshold: u32,
    },
    /// A request open past its one-month deadline (whenever it was received).
    OverdueRequest {
        request_id: i64,
        kind: String,
        days_open: i64,
    },
    /// A request that failed and was not redone.
    FailedRequest { request_id: i64, kind: String },
}

/// A report's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub generated_at: DateTime<Utc>,
    pub people_total: i64,
    pub people_anonymised_total: i64,
    pub users_total: i64,
    pub users_anonymised_total: i64,
    /// Erasures of the period by `reason/subject` (`inactive/person`, `request/user`...).
    pub erasures: BTreeMap<String, i64>,
    pub exports: RequestFigures,
    pub erasure_requests: RequestFigures,
    /// Access-log entries of the period by action.
    pub access_log: BTreeMap<String, i64>,
    pub access_log_total: i64,
    pub access_log_retention_days: u32,
    pub inactive_days: u32,
    pub anomalies: Vec<Anomaly>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Keyed {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct ReqRow {
    #[diesel(sql_type = BigInt)]
    received: i64,
    #[diesel(sql_type = BigInt)]
    done: i64,
    #[diesel(sql_type = BigInt)]
    pending: i64,
    #[diesel(sql_type = BigInt)]
    failed: i64,
    #[diesel(sql_type = Nullable<Double>)]
    median_hours: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    max_hours: Option<f64>,
    #[diesel(sql_type = BigInt)]
    late: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> Result<i64, DbError> {
    Ok(diesel::sql_query(sql).get_result::<Count>(conn)?.n)
}

fn requests(
    conn: &mut PgConnection,
    kind: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<RequestFigures, DbError> {
    let r: ReqRow = diesel::sql_query(
        "SELECT count(*) AS received, \
         count(*) FILTER (WHERE state = 'done') AS done, \
         count(*) FILTER (WHERE state IN ('awaiting_confirmation', 'queued', 'running')) AS pending, \
         count(*) FILTER (WHERE state = 'failed') AS failed, \
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - requested_at)::float8 / 3600) \
           FILTER (WHERE state = 'done') AS median_hours, \
         max(extract(epoch FROM completed_at - requested_at)::float8 / 3600) FILTER (WHERE state = 'done') AS max_hours, \
         count(*) FILTER (WHERE COALESCE(completed_at, now()) > requested_at + interval '1 month' \
           AND state <> 'cancelled') AS late \
         FROM rgpd_requests WHERE kind = $1 AND requested_at >= $2 AND requested_at < $3",
    )
    .bind::<Text, _>(kind)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .get_result(conn)?;
    Ok(RequestFigures {
        received: r.received,
        done: r.done,
        pending: r.pending,
        failed: r.failed,
        median_hours: r.median_hours,
        max_hours: r.max_hours,
        late: r.late,
    })
}

/// Reads the figures of `[start, end)`.
pub fn gather(
    conn: &mut PgConnection,
    cfg: &RgpdConfig,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Figures, DbError> {
    let from = start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let to = end.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let keyed = |conn: &mut PgConnection, sql: &str| -> Result<BTreeMap<String, i64>, DbError> {
        let rows: Vec<Keyed> = diesel::sql_query(sql)
            .bind::<Timestamptz, _>(from)
            .bind::<Timestamptz, _>(to)
            .load(conn)?;
        Ok(rows.into_iter().map(|r| (r.key, r.n)).collect())
    };
    let erasures = keyed(
        conn,
        "SELECT reason || '/' || subject_type AS key, count(*) AS n FROM erasure_ledger \
         WHERE erased_at >= $1 AND erased_at < $2 GROUP BY 1",
    )?;
    let access_log = keyed(
        conn,
        "SELECT action AS key, count(*) AS n FROM data_access_logs WHERE at >= $1 AND at < $2 GROUP BY 1",
    )?;
    let mut anomalies = Vec::new();
    let heavy: Vec<Keyed> = diesel::sql_query(
        "SELECT user_id::text AS key, count(*) AS n FROM data_access_logs \
         WHERE action = 'export' AND user_id IS NOT NULL AND at >= $1 AND at < $2 \
         GROUP BY user_id HAVING count(*) > $3 ORDER BY count(*) DESC",
    )
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .bind::<BigInt, _>(i64::from(cfg.export_anomaly_threshold))
    .load(conn)?;
    for h in heavy {
        anomalies.push(Anomaly::ExportsAboveThreshold {
            user_id: h.key.parse().unwrap_or_default(),
            exports: h.n,
            threshold: cfg.export_anomaly_threshold,
        });
    }
    #[derive(QueryableByName)]
    struct Open {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = Text)]
        state: String,
        #[diesel(sql_type = BigInt)]
        days: i64,
    }
    let open: Vec<Open> = diesel::sql_query(
        "SELECT id, kind, state, extract(day FROM $1 - requested_at)::bigint AS days FROM rgpd_requests \
         WHERE requested_at < $1 AND ((state IN ('queued', 'running', 'awaiting_confirmation') \
         AND requested_at < $1 - interval '1 month') OR (state = 'failed' AND requested_at >= $2)) \
         ORDER BY id",
    )
    .bind::<Timestamptz, _>(to)
    .bind::<Timestamptz, _>(from)
    .load(conn)?;
    for o in open {
        anomalies.push(if o.state == "failed" {
            Anomaly::FailedRequest {
                request_id: o.id,
                kind: o.kind,
            }
        } else {
            Anomaly::OverdueRequest {
                request_id: o.id,
                kind: o.kind,
                days_open: o.days,
            }
        });
    }
    Ok(Figures {
        period_start: start,
        period_end: end,
        generated_at: Utc::now(),
        people_total: count(conn, "SELECT count(*) AS n FROM people")?,
        people_anonymised_total: count(
            conn,
            "SELECT count(*) AS n FROM people WHERE anonymised_at IS NOT NULL",
        )?,
        users_total: count(conn, "SELECT count(*) AS n FROM users")?,
        users_anonymised_total: count(
            conn,
            "SELECT count(*) AS n FROM users WHERE anonymised_at IS NOT NULL",
        )?,
        erasures,
        exports: requests(conn, "export", from, to)?,
        erasure_requests: requests(conn, "erasure", from, to)?,
        access_log_total: access_log.values().sum(),
        access_log,
        access_log_retention_days: cfg.access_log_retention_days,
        inactive_days: cfg.inactive_days,
        anomalies,
    })
}

/// A titled table of label/value lines: what both renderings show, in order.
pub(crate) struct Section {
    pub title: &'static str,
    pub lines: Vec<(String, String)>,
}

fn hours(h: Option<f64>) -> String {
    h.map_or_else(|| "-".to_owned(), |h| format!("{h:.1} h"))
}

fn request_lines(r: &RequestFigures) -> Vec<(String, String)> {
    vec![
        ("Received".into(), r.received.to_string()),
        ("Done".into(), r.done.to_string()),
        ("Pending".into(), r.pending.to_string()),
        ("Failed".into(), r.failed.to_string()),
        ("Median handling time".into(), hours(r.median_hours)),
        ("Longest handling time".into(), hours(r.max_hours)),
        ("Past the one-month deadline".into(), r.late.to_string()),
    ]
}

impl Figures {
    pub(crate) fn sections(&self) -> Vec<Section> {
        let kv = |m: &BTreeMap<String, i64>| -> Vec<(String, String)> {
            if m.is_empty() {
                return vec![("(none)".into(), "0".into())];
            }
            m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()
        };
        let anomalies = if self.anomalies.is_empty() {
            vec![("(none)".to_owned(), String::new())]
        } else {
            self.anomalies
                .iter()
                .map(|a| match a {
                    Anomaly::ExportsAboveThreshold {
                        user_id,
                        exports,
                        threshold,
                    } => (
                        format!("User {user_id}: exports above threshold"),
                        format!("{exports} (threshold {threshold})"),
                    ),
                    Anomaly::OverdueRequest {
                        request_id,
                        kind,
                        days_open,
                    } => (
                        format!("Request {request_id} ({kind}) overdue"),
                        format!("open {days_open} days"),
                    ),
                    Anomaly::FailedRequest { request_id, kind } => (
                        format!("Request {request_id} ({kind})"),
                        "failed".to_owned(),
                    ),
                })
                .collect()
        };
        vec![
            Section {
                title: "Data subjects",
                lines: vec![
                    ("People (contacts)".into(), self.people_total.to_string()),
                    (
                        "of which anonymised".into(),
                        self.people_anonymised_total.to_string(),
                    ),
                    ("User accounts".into(), self.users_total.to_string()),
                    (
                        "of which anonymised".into(),
                        self.users_anonymised_total.to_string(),
                    ),
                ],
            },
            Section {
                title: "Erasures in the period (reason/subject)",
                lines: kv(&self.erasures),
            },
            Section {
                title: "Export requests (Art. 15/20)",
                lines: request_lines(&self.exports),
            },
            Section {
                title: "Erasure requests (Art. 17)",
                lines: request_lines(&self.erasure_requests),
            },
            Section {
                title: "Access log",
                lines: {
                    let mut l = kv(&self.access_log);
                    l.push(("Total entries".into(), self.access_log_total.to_string()));
                    l.push((
                        "Retention".into(),
                        format!("{} days", self.access_log_retention_days),
                    ));
                    l
                },
            },
            Section {
                title: "Policy",
                lines: vec![(
                    "Anonymisation after inactivity".into(),
                    format!("{} days", self.inactive_days),
                )],
            },
            Section {
                title: "Anomalies",
                lines: anomalies,
            },
        ]
    }

    pub(crate) fn title(&self) -> String {
        format!(
            "RGPD compliance report {} to {}",
            self.period_start,
            self.period_end.pred_opt().unwrap_or(self.period_end)
        )
    }
}
