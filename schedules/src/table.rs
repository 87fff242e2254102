//! The cron table: one readable list, times in Europe/Paris (`SCHEDULER_TIMEZONE`).
//!
//! Expressions have 5 fields (`min hour day month weekday`) or 6 with seconds first. An environment
//! variable `SCHEDULE_<NAME>` (name upper-cased, `.` -> `_`) overrides an entry's expression; a blank value
//! disables it. An invalid expression stops the boot, naming the entry.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};
use shared::config::EnvSource;

/// A row of the table as written in code.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub name: &'static str,
    pub cron: &'static str,
    pub job: &'static str,
    pub payload: &'static str,
    pub enabled: bool,
}

/// The cron table.
pub const TABLE: &[Row] = &[
    // name                  cron             job                    payload  enabled
    row("maint.backup", "0 2 * * *", "maint.backup", "{}", true),
    row(
        "maint.backup_verify",
        "0 5 * * SUN",
        "maint.backup_verify",
        "{}",
        true,
    ),
    row("mail.sync_all", "*/10 * * * *", "mail.sync_all", "{}", true),
    row("mail.cleanup", "0 3 * * *", "mail.cleanup", "{}", true),
    row(
        "intel.autofill_batch",
        "0 * * * *",
        "intel.autofill_batch",
        "{}",
        true,
    ),
    row(
        "ai.cleanup_preferences",
        "0 4 * * SUN",
        "ai.cleanup_preferences",
        "{}",
        true,
    ),
    row(
        "ai.accuracy_metrics",
        "30 0 * * *",
        "ai.accuracy_metrics",
        "{}",
        true,
    ),
    row(
        "rgpd.anonymize_inactive",
        "0 1 * * MON",
        "rgpd.anonymize_inactive",
        "{}",
        true,
    ),
    row(
        "rgpd.cleanup_access_logs",
        "0 2 1 * *",
        "rgpd.cleanup_access_logs",
        "{}",
        true,
    ),
    row(
        "rgpd.compliance_report",
        "0 3 1 * *",
        "rgpd.compliance_report",
        "{}",
        true,
    ),
    row("webhooks.sweep", "* * * * *", "webhooks.sweep", "{}", true),
    row("campaigns.tick", "* * * * *", "campaigns.tick", "{}", true),
    row(
        "notify.task_due",
        "5 * * * *",
        "notify.task_due",
        "{}",
        true,
    ),
    row(
        "notify.email_digest",
        "0 8 * * *",
        "notify.email_digest",
        "{}",
        true,
    ),
    // Off by default: set SCHEDULE_DIAG_HEARTBEAT to a cron expression to prove the scheduler fires.
    row(
        "diag.heartbeat",
        "* * * * *",
        "diag.noop",
        r#"{"tag":"scheduler-heartbeat"}"#,
        false,
    ),
];

const fn row(
    name: &'static str,
    cron: &'static str,
    job: &'static str,
    payload: &'static str,
    enabled: bool,
) -> Row {
    Row {
        name,
        cron,
        job,
        payload,
        enabled,
    }
}

/// A validated entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub expression: String,
    pub job: String,
    pub payload: serde_json::Value,
    pub enabled: bool,
    cron: Option<Cron>,
}

impl Entry {
    /// The expression in English words, e.g. `0 5 * * SUN` → `At 05:00, on Sunday.` (croner's wording).
    pub fn description(&self) -> String {
        self.cron
            .as_ref()
            .map_or_else(|| "never (no expression)".to_owned(), Cron::describe)
    }

    /// Next fire time strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let cron = self.cron.as_ref()?;
        cron.find_next_occurrence(&after.with_timezone(&tz), false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// Fire times in `(from, to]`, oldest first, at most `cap` (the most recent ones are kept).
    pub fn ticks_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        tz: Tz,
        cap: usize,
    ) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let mut cursor = from;
        while let Some(next) = self.next_after(cursor, tz) {
            if next > to {
                break;
            }
            out.push(next);
            if out.len() > cap {
                out.remove(0);
            }
            cursor = next;
        }
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("schedule entry `{entry}` ({var}): invalid cron expression `{expression}`: {reason}")]
    InvalidCron {
        entry: String,
        var: String,
        expression: String,
        reason: String,
    },
    #[error("schedule entry `{entry}`: unknown job `{job}`")]
    UnknownJob { entry: String, job: String },
    #[error("schedule entry `{entry}`: payload rejected by job `{job}`: {reason}")]
    BadPayload {
        entry: String,
        job: String,
        reason: String,
    },
}

/// The table with environment overrides applied and every expression parsed.
#[derive(Debug, Clone)]
pub struct ScheduleTable {
    pub timezone: Tz,
    pub entries: Vec<Entry>,
}

/// `maint.backup` -> `SCHEDULE_MAINT_BACKUP`.
pub fn env_var_for(name: &str) -> String {
    format!(
        "SCHEDULE_{}",
        name.to_ascii_uppercase().replace(['.', '-'], "_")
    )
}

fn parse_cron(expr: &str) -> Result<Cron, String> {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map_err(|e| e.to_string())
}

impl ScheduleTable {
    /// Applies overrides from `env` to [`TABLE`] and validates everything.
    pub fn load(env: &EnvSource, timezone: Tz) -> Result<Self, ScheduleError> {
        Self::from_rows(TABLE, env, timezone)
    }

    /// Same as [`Self::load`] for an arbitrary table (tests).
    pub fn from_rows(rows: &[Row], env: &EnvSource, timezone: Tz) -> Result<Self, ScheduleError> {
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let var = env_var_for(row.name);
            let (expression, enabled) = match env.get(&var) {
                Some(v) if v.trim().is_empty() => (row.cron.to_owned(), false),
                Some(v) => (v.trim().to_owned(), true),
                None => (row.cron.to_owned(), row.enabled),
            };
            let cron = parse_cron(&expression).map_err(|reason| ScheduleError::InvalidCron {
                entry: row.name.into(),
                var: var.clone(),
                expression: expression.clone(),
                reason,
            })?;
            let spec = shared::jobs::catalogue::find(row.job).ok_or_else(|| {
                ScheduleError::UnknownJob {
                    entry: row.name.into(),
                    job: row.job.into(),
                }
            })?;
            let payload: serde_json::Value =
                serde_json::from_str(row.payload).map_err(|e| ScheduleError::BadPayload {
                    entry: row.name.into(),
                    job: row.job.into(),
                    reason: e.to_string(),
                })?;
            spec.validate(&payload)
                .map_err(|e| ScheduleError::BadPayload {
                    entry: row.name.into(),
                    job: row.job.into(),
                    reason: e.to_string(),
                })?;
            entries.push(Entry {
                name: row.name.into(),
                expression,
                job: row.job.into(),
                payload,
                enabled,
                cron: Some(cron),
            });
        }
        Ok(Self { timezone, entries })
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn default_table_is_valid_and_in_paris_time() {
        let t = ScheduleTable::load(&EnvSource::from_pairs(&[]), chrono_tz::Europe::Paris).unwrap();
        let backup = t.get("maint.backup").unwrap();
        assert!(backup.enabled);
        // 2026-07-01 00:30 UTC is 02:30 in Paris (CEST): next backup is 2026-07-02 02:00 Paris = 00:00 UTC.
        let after = Utc.with_ymd_and_hms(2026, 7, 1, 0, 30, 0).unwrap();
        let next = backup.next_after(after, t.timezone).unwrap();
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 7, 2, 0, 0, 0).unwrap());
        // In winter (CET) 02:00 Paris is 01:00 UTC.
        let after = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        assert_eq!(
            backup.next_after(after, t.timezone).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 2, 1, 0, 0).unwrap()
        );
        let verify = t.get("maint.backup_verify").unwrap();
        let next = verify.next_after(after, t.timezone).unwrap();
        assert_eq!(
            next,
            Utc.with_ymd_and_hms(2026, 12, 6, 4, 0, 0).unwrap(),
            "Sunday 05:00 Paris"
        );
        assert!(!t.get("diag.heartbeat").unwrap().enabled);
    }

    #[test]
    fn env_overrides_and_disables() {
        let t = ScheduleTable::load(
            &EnvSource::from_pairs(&[
                ("SCHEDULE_MAINT_BACKUP", ""),
                ("SCHEDULE_DIAG_HEARTBEAT", "*/5 * * * * *"),
            ]),
            chrono_tz::Europe::Paris,
        )
        .unwrap();
        assert!(!t.get("maint.backup").unwrap().enabled);
        let hb = t.get("diag.heartbeat").unwrap();
        assert!(hb.enabled);
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let ticks = hb.ticks_between(from, from + chrono::Duration::seconds(20), t.timezone, 100);
        assert_eq!(ticks.len(), 4);
    }

    #[test]
    fn invalid_expression_names_the_entry() {
        let err = ScheduleTable::load(
            &EnvSource::from_pairs(&[("SCHEDULE_MAINT_BACKUP", "61 25 * *")]),
            chrono_tz::Europe::Paris,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("maint.backup") && err.contains("SCHEDULE_MAINT_BACKUP"),
            "{err}"
        );
    }

    #[test]
    fn catch_up_is_capped_to_the_most_recent_ticks() {
        let t = ScheduleTable::load(
            &EnvSource::from_pairs(&[("SCHEDULE_DIAG_HEARTBEAT", "* * * * * *")]),
            chrono_tz::Europe::Paris,
        )
        .unwrap();
        let hb = t.get("diag.heartbeat").unwrap();
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let ticks = hb.ticks_between(from, from + chrono::Duration::seconds(100), t.timezone, 10);
        assert_eq!(ticks.len(), 10);
        assert_eq!(
            *ticks.last().unwrap(),
            from + chrono::Duration::seconds(100)
        );
    }
}
