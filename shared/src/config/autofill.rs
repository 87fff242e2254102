//! Autofill and web-enrichment settings (`AUTOFILL_*`, `SERPAPI_*`), read by the workers.

use secrecy::SecretString;

use super::{ConfigError, EnvSource};

/// How autofill proposes and applies, and how web enrichment reaches SerpAPI.
#[derive(Debug, Clone)]
pub struct AutofillConfig {
    /// `AUTOFILL_BATCH_MAX` (default 50): emails read by one hourly batch.
    pub batch_max: u32,
    /// `AUTOFILL_AUTO_APPLY` (default 0.92): suggestions at or above it are applied without review when the
    /// field is empty or was written by the same source.
    pub auto_apply: f64,
    /// `AUTOFILL_USE_WEB_ENRICHMENT` (default false): the batch also enqueues `enrich.organisation` for the
    /// organisations it matched that miss fields.
    pub use_web_enrichment: bool,
    /// `AUTOFILL_WEB_MIN_CONFIDENCE` (default 0.70): web results below it are dropped.
    pub web_min_confidence: f64,
    /// `SERPAPI_API_KEY`: unset disables web enrichment (the job fails permanently, naming it).
    pub serpapi_key: Option<SecretString>,
    /// `SERPAPI_BASE_URL` (default `https://serpapi.com`), for a proxy or a test server.
    pub serpapi_base_url: String,
    /// `ENRICHMENT_CACHE_DAYS` (default 7): our own cache of search results (SerpAPI's lasts an hour).
    pub cache_days: u32,
}

impl AutofillConfig {
    pub fn from_env(env: &EnvSource) -> Result<Self, ConfigError> {
        let base = env.string_or("SERPAPI_BASE_URL", "https://serpapi.com")?;
        let parsed = url::Url::parse(&base)
            .map_err(|e| env.invalid("SERPAPI_BASE_URL", format!("not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(env.invalid("SERPAPI_BASE_URL", "expected an http(s) URL"));
        }
        let key = env
            .get("SERPAPI_API_KEY")
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty());
        if key
            .as_ref()
            .is_some_and(|k| k.len() > 200 || !k.chars().all(|c| c.is_ascii_graphic()))
        {
            return Err(env.invalid("SERPAPI_API_KEY", "not an API key"));
        }
        Ok(Self {
            batch_max: env.parse_in("AUTOFILL_BATCH_MAX", 50, 1..=10_000)?,
            auto_apply: env.parse_in("AUTOFILL_AUTO_APPLY", 0.92, 0.5..=1.0)?,
            use_web_enrichment: env.bool_or("AUTOFILL_USE_WEB_ENRICHMENT", false)?,
            web_min_confidence: env.parse_in("AUTOFILL_WEB_MIN_CONFIDENCE", 0.70, 0.0..=1.0)?,
            serpapi_key: key.map(SecretString::from),
            serpapi_base_url: base.trim_end_matches('/').to_owned(),
            cache_days: env.parse_in("ENRICHMENT_CACHE_DAYS", 7, 1..=90)?,
        })
    }
}
