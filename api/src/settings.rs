//! Everything the API reads from the environment at boot: [`ApiConfig`] plus the cron table (for
//! `GET /api/v1/schedules`), validated together so a bad value stops the boot naming the variable.

use chrono_tz::Tz;
use crm_schedules::ScheduleTable;
use shared::config::OAuthConfig;
use shared::config::{ApiConfig, EnvSource, MailConfig};

/// The API's validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub api: ApiConfig,
    /// The cron table with `SCHEDULE_*` overrides applied, in `SCHEDULER_TIMEZONE`.
    pub schedules: ScheduleTable,
    /// `MAIL_*`: the key sealing the secrets of new email accounts.
    pub mail: MailConfig,
    /// `GOOGLE_*`, `GMAIL_API_URL`, `MS_*`, `GRAPH_API_URL`, `OAUTH_REDIRECT_BASE`: OAuth mailboxes.
    pub oauth: OAuthConfig,
    /// `LLM_*`: the analyser of `POST /api/v1/analyze`.
    pub llm: llm::LlmConfig,
}

/// A setting is missing or invalid; the message names the variable.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Config(#[from] shared::config::ConfigError),
    #[error(transparent)]
    Schedule(#[from] crm_schedules::ScheduleError),
    #[error("LLM configuration: {0}")]
    Llm(#[from] llm::ConfigError),
}

impl Settings {
    /// Reads and validates every setting of the API.
    pub fn from_env(env: &EnvSource) -> Result<Self, SettingsError> {
        let api = ApiConfig::from_env(env)?;
        let timezone: Tz = env.parse_or("SCHEDULER_TIMEZONE", chrono_tz::Europe::Paris)?;
        let schedules = ScheduleTable::load(env, timezone)?;
        let mail = MailConfig::from_env(env)?;
        let oauth = OAuthConfig::from_env(env)?;
        let mut llm = llm::LlmConfig::from_env(|k| env.get(k))?;
        llm.egress = api.common.egress.clone();
        Ok(Self {
            api,
            schedules,
            mail,
            oauth,
            llm,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_llm_setting_stops_the_boot_naming_the_variable() {
        let base = [
            ("DATABASE_URL", "postgres://crm@127.0.0.1/crm"),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            ("JWT_SECRET", "a-settings-test-secret-of-at-least-32-bytes"),
        ];
        assert!(Settings::from_env(&EnvSource::from_pairs(&base)).is_ok());
        let mut bad = base.to_vec();
        bad.push(("LLM_PROVIDERS", "nosuchprovider"));
        let err = Settings::from_env(&EnvSource::from_pairs(&bad))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("LLM_PROVIDERS"), "{err}");
    }
}
