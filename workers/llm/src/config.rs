//! Typed configuration read once from `LLM_*` environment variables; a bad value is an error
//! naming the variable.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;

/// A configuration error; its message always names the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is required but not set")]
    Missing { name: String },
    #[error("{name} is invalid: {reason}")]
    Invalid { name: String, reason: String },
}

fn invalid(name: &str, reason: impl fmt::Display) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_owned(),
        reason: reason.to_string(),
    }
}

/// The providers the cascade knows, by their `LLM_PROVIDERS` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    Ollama,
    Mistral,
    OpenAi,
    Anthropic,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 4] = [
        ProviderKind::Ollama,
        ProviderKind::Mistral,
        ProviderKind::OpenAi,
        ProviderKind::Anthropic,
    ];

    /// Name in `LLM_PROVIDERS`, in metrics labels and in the cache key.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Ollama => "ollama",
            ProviderKind::Mistral => "mistral",
            ProviderKind::OpenAi => "openai",
            ProviderKind::Anthropic => "anthropic",
        }
    }

    pub fn parse(s: &str) -> Option<ProviderKind> {
        let s = s.trim().to_ascii_lowercase();
        ProviderKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Prefix of the provider's variables, e.g. `LLM_OPENAI`.
    fn env_prefix(self) -> &'static str {
        match self {
            ProviderKind::Ollama => "LLM_OLLAMA",
            ProviderKind::Mistral => "LLM_MISTRAL",
            ProviderKind::OpenAi => "LLM_OPENAI",
            ProviderKind::Anthropic => "LLM_ANTHROPIC",
        }
    }

    /// Public endpoint (Ollama: the local daemon's default address).
    pub fn default_url(self) -> &'static str {
        match self {
            ProviderKind::Ollama => "http://127.0.0.1:11434",
            ProviderKind::Mistral => "https://api.mistral.ai",
            ProviderKind::OpenAi => "https://api.openai.com",
            ProviderKind::Anthropic => "https://api.anthropic.com",
        }
    }

    /// A small, cheap model that follows JSON instructions well enough for classification.
    pub fn default_model(self) -> &'static str {
        match self {
            ProviderKind::Ollama => "llama3.2",
            ProviderKind::Mistral => "mistral-small-latest",
            ProviderKind::OpenAi => "gpt-4o-mini",
            ProviderKind::Anthropic => "claude-haiku-4-5",
        }
    }

    /// Ollama runs locally without a key; the hosted APIs need one.
    pub fn needs_key(self) -> bool {
        self != ProviderKind::Ollama
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One provider of the cascade. `Debug` never shows the key (`SecretString` redacts it).
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    /// Base URL without the API path, e.g. `https://api.openai.com`.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<SecretString>,
}

impl ProviderConfig {
    /// A provider at its default URL and model.
    pub fn new(kind: ProviderKind) -> Self {
        ProviderConfig {
            kind,
            base_url: kind.default_url().to_owned(),
            model: kind.default_model().to_owned(),
            api_key: None,
        }
    }

    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(key.into()));
        self
    }

    /// `provider:model`, recorded as the analysis `source`.
    pub fn source_name(&self) -> String {
        format!("{}:{}", self.kind, self.model)
    }
}

/// Cache settings.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// `LLM_CACHE_PREFIX`: every key starts with it.
    pub prefix: String,
    /// `LLM_CACHE_TTL_SECS`: lifetime of cheap results (default 1 h).
    pub ttl: Duration,
    /// `LLM_CACHE_EXPENSIVE_TTL_SECS`: lifetime of expensive results (default 7 days).
    pub expensive_ttl: Duration,
    /// `LLM_CACHE_TIMEOUT_MS`: a Redis command slower than this counts as an outage.
    pub timeout: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            prefix: "crm:llm:".to_owned(),
            ttl: Duration::from_secs(3_600),
            expensive_ttl: Duration::from_secs(7 * 86_400),
            timeout: Duration::from_millis(250),
        }
    }
}

/// The whole cascade configuration.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// Providers in the order they are tried; empty means built-in analyser only.
    pub providers: Vec<ProviderConfig>,
    /// `LLM_TIMEOUT_MS`: limit of one provider call, connection included.
    pub timeout: Duration,
    pub cache: CacheConfig,
    /// Which addresses providers may have: the platform's `EGRESS_ALLOW_CIDRS` (read by
    /// `shared::config`, set here by the process); the strict policy by default, so a local Ollama needs
    /// its address in the allow-list.
    pub egress: egress::EgressPolicy,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            providers: Vec::new(),
            timeout: Duration::from_secs(5),
            cache: CacheConfig::default(),
            egress: egress::EgressPolicy::default(),
        }
    }
}

impl LlmConfig {
    /// Reads the `LLM_*` variables through `env` (e.g. `|k| std::env::var(k).ok()`, or the
    /// platform's `EnvSource::get`). Blank values count as unset. The egress policy is the strict one:
    /// the caller sets [`LlmConfig::egress`] from the platform's configuration.
    pub fn from_env<F>(env: F) -> Result<LlmConfig, ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let mut providers: Vec<ProviderConfig> = Vec::new();
        if let Some(list) = get("LLM_PROVIDERS") {
            for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let kind = ProviderKind::parse(item).ok_or_else(|| {
                    invalid(
                        "LLM_PROVIDERS",
                        format!(
                            "unknown provider `{item}` (expected a comma list of ollama, mistral, openai, anthropic)"
                        ),
                    )
                })?;
                if providers.iter().any(|p| p.kind == kind) {
                    return Err(invalid(
                        "LLM_PROVIDERS",
                        format!("`{kind}` is listed twice"),
                    ));
                }
                providers.push(provider_from_env(kind, &get)?);
            }
        }
        let timeout_ms: u64 = parse_in(&get, "LLM_TIMEOUT_MS", 5_000, 100, 600_000)?;
        let cache = CacheConfig {
            prefix: get("LLM_CACHE_PREFIX").unwrap_or_else(|| "crm:llm:".to_owned()),
            ttl: Duration::from_secs(parse_in(
                &get,
                "LLM_CACHE_TTL_SECS",
                3_600,
                1,
                365 * 86_400,
            )?),
            expensive_ttl: Duration::from_secs(parse_in(
                &get,
                "LLM_CACHE_EXPENSIVE_TTL_SECS",
                7 * 86_400,
                1,
                365 * 86_400,
            )?),
            timeout: Duration::from_millis(parse_in(&get, "LLM_CACHE_TIMEOUT_MS", 250, 1, 60_000)?),
        };
        if cache.prefix.chars().any(char::is_whitespace) {
            return Err(invalid("LLM_CACHE_PREFIX", "must not contain whitespace"));
        }
        Ok(LlmConfig {
            providers,
            timeout: Duration::from_millis(timeout_ms),
            cache,
            egress: egress::EgressPolicy::default(),
        })
    }
}

fn provider_from_env<G>(kind: ProviderKind, get: &G) -> Result<ProviderConfig, ConfigError>
where
    G: Fn(&str) -> Option<String>,
{
    let prefix = kind.env_prefix();
    let url_var = format!("{prefix}_URL");
    let mut p = ProviderConfig::new(kind);
    if let Some(url) = get(&url_var) {
        let url = url.trim();
        let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&url_var, e))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(invalid(&url_var, "expected an http:// or https:// URL"));
        }
        p = p.with_url(url);
    }
    if let Some(model) = get(&format!("{prefix}_MODEL")) {
        p = p.with_model(model.trim());
    }
    let key_var = format!("{prefix}_API_KEY");
    match get(&key_var) {
        Some(key) => p = p.with_key(key.trim()),
        None if kind.needs_key() => return Err(ConfigError::Missing { name: key_var }),
        None => {}
    }
    Ok(p)
}

fn parse_in<G>(get: &G, name: &str, default: u64, min: u64, max: u64) -> Result<u64, ConfigError>
where
    G: Fn(&str) -> Option<String>,
{
    let value = match get(name) {
        None => default,
        Some(raw) => raw.trim().parse::<u64>().map_err(|e| invalid(name, e))?,
    };
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(invalid(name, format!("{value} is outside {min}..={max}")))
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<LlmConfig, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        LlmConfig::from_env(|k| map.get(k).cloned())
    }

    #[test]
    fn absent_or_blank_means_built_in_only() {
        let c = read(&[]).unwrap();
        assert!(c.providers.is_empty());
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert_eq!(c.cache.ttl, Duration::from_secs(3_600));
        assert_eq!(c.cache.expensive_ttl, Duration::from_secs(604_800));
        assert!(
            read(&[("LLM_PROVIDERS", " ")])
                .unwrap()
                .providers
                .is_empty()
        );
    }

    #[test]
    fn order_urls_models_and_keys() {
        let c = read(&[
            ("LLM_PROVIDERS", "anthropic, ollama,openai"),
            ("LLM_ANTHROPIC_API_KEY", "sk-ant-secret"),
            ("LLM_OPENAI_API_KEY", "sk-secret"),
            ("LLM_OPENAI_URL", "http://127.0.0.1:9999/"),
            ("LLM_OLLAMA_MODEL", "qwen2.5:7b"),
            ("LLM_TIMEOUT_MS", "1500"),
        ])
        .unwrap();
        let kinds: Vec<_> = c.providers.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                ProviderKind::Anthropic,
                ProviderKind::Ollama,
                ProviderKind::OpenAi
            ]
        );
        assert_eq!(c.providers[1].model, "qwen2.5:7b");
        assert_eq!(c.providers[1].base_url, "http://127.0.0.1:11434");
        assert_eq!(c.providers[2].base_url, "http://127.0.0.1:9999");
        assert_eq!(c.timeout, Duration::from_millis(1_500));
        let debug = format!("{c:?}");
        assert!(!debug.contains("secret"), "{debug}");
    }

    #[test]
    fn errors_name_the_variable() {
        let e = read(&[("LLM_PROVIDERS", "openai")]).unwrap_err();
        assert_eq!(e.to_string(), "LLM_OPENAI_API_KEY is required but not set");
        let e = read(&[("LLM_PROVIDERS", "gemini")]).unwrap_err();
        assert!(e.to_string().starts_with("LLM_PROVIDERS is invalid"), "{e}");
        let e = read(&[("LLM_PROVIDERS", "ollama,ollama")]).unwrap_err();
        assert!(e.to_string().starts_with("LLM_PROVIDERS is invalid"), "{e}");
        let e = read(&[("LLM_PROVIDERS", "ollama"), ("LLM_OLLAMA_URL", "ftp://x")]).unwrap_err();
        assert!(
            e.to_string().starts_with("LLM_OLLAMA_URL is invalid"),
            "{e}"
        );
        let e = read(&[("LLM_TIMEOUT_MS", "abc")]).unwrap_err();
        assert!(
            e.to_string().starts_with("LLM_TIMEOUT_MS is invalid"),
            "{e}"
        );
        let e = read(&[("LLM_CACHE_TTL_SECS", "0")]).unwrap_err();
        assert!(
            e.to_string().starts_with("LLM_CACHE_TTL_SECS is invalid"),
            "{e}"
        );
    }
}
