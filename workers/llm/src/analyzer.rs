//! The cascade: cache, then each configured provider in order, then the built-in analyser.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cache::CacheConn;
use intel::Analysis;

use crate::cache::{Cache, CacheStatus};
use crate::config::{ConfigError, LlmConfig};
use crate::input;
use crate::prompt::Task;
use crate::providers::{self, CallError};

/// What happened to one provider during an analysis.
#[derive(Debug)]
pub enum AttemptOutcome {
    /// Called and answered with a valid reply.
    Ok,
    /// Its answer came from the cache (no call).
    CacheHit,
    /// Not called: it answered 429 recently and its `Retry-After` has not passed.
    Cooldown,
    /// Called and failed; the cascade moved on.
    Failed(CallError),
}

impl AttemptOutcome {
    /// Metrics label (`llm_calls_total{outcome}`).
    pub fn as_str(&self) -> &'static str {
        match self {
            AttemptOutcome::Ok => "ok",
            AttemptOutcome::CacheHit => "cache_hit",
            AttemptOutcome::Cooldown => "cooldown",
            AttemptOutcome::Failed(e) => e.outcome(),
        }
    }
}

/// One provider's part in an analysis.
#[derive(Debug)]
pub struct Attempt {
    /// `provider:model`.
    pub provider: String,
    pub outcome: AttemptOutcome,
    /// Time spent on the call (zero when not called).
    pub duration: Duration,
}

/// An analysis with how it was obtained.
#[derive(Debug)]
pub struct Report {
    /// The result; `intent.source` / `signature.source` name who answered (`rules` or
    /// `provider:model`).
    pub analysis: Analysis,
    pub task: Task,
    pub cache: CacheStatus,
    /// Providers tried, in order; empty when none is configured or the cache answered first.
    pub attempts: Vec<Attempt>,
}

impl Report {
    /// Who answered: `rules` or `provider:model`.
    pub fn source(&self) -> String {
        match &self.analysis.intent.source {
            intel::Source::Rules => "rules".to_owned(),
            intel::Source::Provider(p) => p.clone(),
        }
    }
}

/// The analyser used by jobs and the API. Cheap to clone (shared inside).
#[derive(Clone)]
pub struct Analyzer {
    inner: Arc<Inner>,
}

struct Inner {
    config: LlmConfig,
    client: Option<egress::EgressHttp>,
    cache: Option<Cache>,
    /// Provider index → instant before which it is not called (after a 429).
    cooldowns: Mutex<HashMap<usize, Instant>>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("config", &self.inner.config)
            .field("cache", &self.inner.cache.is_some())
            .finish_non_exhaustive()
    }
}

impl Analyzer {
    /// Reads the `LLM_*` variables (see [`LlmConfig::from_env`]); no cache until
    /// [`Analyzer::with_redis`].
    pub fn from_env<F>(env: F) -> Result<Analyzer, ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        Ok(Analyzer::new(LlmConfig::from_env(env)?, None))
    }

    /// An analyser over `config`, caching provider answers in `redis` when given.
    pub fn new(config: LlmConfig, redis: Option<Box<dyn CacheConn>>) -> Analyzer {
        let client = if config.providers.is_empty() {
            None
        } else {
            let limits = egress::HttpLimits {
                connect_timeout: config.timeout,
                timeout: config.timeout,
            };
            match config.egress.http_client(limits) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::error!(error = %e, "cannot build the HTTP client: LLM providers disabled");
                    None
                }
            }
        };
        let cache = redis.map(|conn| Cache::new(conn, config.cache.clone()));
        Analyzer {
            inner: Arc::new(Inner {
                config,
                client,
                cache,
                cooldowns: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The analyser a platform process runs: built-in only when no provider is listed, else the cascade
    /// with its answers cached in `redis`.
    pub fn cached(config: LlmConfig, redis: impl CacheConn) -> Analyzer {
        let redis = (!config.providers.is_empty()).then(|| redis.clone_box());
        Analyzer::new(config, redis)
    }

    /// The same analyser with a Redis cache.
    pub fn with_redis(self, redis: impl CacheConn) -> Analyzer {
        Analyzer::new(self.inner.config.clone(), Some(redis.clone_box()))
    }

    pub fn config(&self) -> &LlmConfig {
        &self.inner.config
    }

    /// Analyses a raw message (`.eml` bytes). Never fails: the built-in analyser answers last.
    pub async fn analyze_message(&self, raw: &[u8]) -> Analysis {
        self.analyze_message_report(raw).await.analysis
    }

    /// Analyses a body or its ending.
    pub async fn analyze_text(&self, text: &str) -> Analysis {
        self.analyze_text_report(text).await.analysis
    }

    /// [`Analyzer::analyze_message`] with the cascade's report.
    pub async fn analyze_message_report(&self, raw: &[u8]) -> Report {
        if !self.uses_providers() {
            return builtin_only(intel::analyze_message(raw), Task::Message);
        }
        let input = input::from_message(raw);
        let lookup = self.start_lookup(Task::Message, &input);
        let builtin = intel::analyze_message(raw);
        self.cascade(Task::Message, &input, builtin, lookup).await
    }

    /// [`Analyzer::analyze_text`] with the cascade's report.
    pub async fn analyze_text_report(&self, text: &str) -> Report {
        if !self.uses_providers() {
            return builtin_only(intel::analyze_text(text), Task::Text);
        }
        let input = input::from_text(text);
        let lookup = self.start_lookup(Task::Text, &input);
        let builtin = intel::analyze_text(text);
        self.cascade(Task::Text, &input, builtin, lookup).await
    }

    fn uses_providers(&self) -> bool {
        self.inner.client.is_some() && !self.inner.config.providers.is_empty()
    }

    /// Starts the cache read on the runtime, so that it overlaps the built-in analysis.
    fn start_lookup(&self, task: Task, input: &str) -> Option<Lookup> {
        let cache = self.inner.cache.clone()?;
        let keys = cache.keys(task, input, &self.inner.config.providers);
        let read = keys.clone();
        let handle = tokio::spawn(async move { cache.lookup(&read).await });
        Some(Lookup { keys, handle })
    }

    async fn cascade(
        &self,
        task: Task,
        input: &str,
        mut analysis: Analysis,
        lookup: Option<Lookup>,
    ) -> Report {
        let inner = &self.inner;
        let providers = &inner.config.providers;
        let mut attempts = Vec::new();
        let (cache_status, keys) = match lookup {
            None => (CacheStatus::Disabled, Vec::new()),
            Some(Lookup { keys, handle }) => {
                let (status, hit) = handle.await.unwrap_or((CacheStatus::Unavailable, None));
                if let Some((i, answer)) = hit {
                    metrics::counter!("llm_cache_hits_total").increment(1);
                    attempts.push(Attempt {
                        provider: providers[i].source_name(),
                        outcome: AttemptOutcome::CacheHit,
                        duration: Duration::ZERO,
                    });
                    analysis.apply_provider(&answer);
                    return Report {
                        analysis,
                        task,
                        cache: status,
                        attempts,
                    };
                }
                metrics::counter!("llm_cache_misses_total").increment(1);
                (status, keys)
            }
        };
        let Some(client) = &inner.client else {
            return builtin_only(analysis, task);
        };
        for (i, provider) in providers.iter().enumerate() {
            let name = provider.kind.as_str();
            if self.cooling_down(i) {
                metrics::counter!("llm_calls_total", "provider" => name, "outcome" => "cooldown")
                    .increment(1);
                attempts.push(Attempt {
                    provider: provider.source_name(),
                    outcome: AttemptOutcome::Cooldown,
                    duration: Duration::ZERO,
                });
                continue;
            }
            let started = Instant::now();
            let result = providers::call(client, provider, task, input, inner.config.timeout).await;
            let duration = started.elapsed();
            metrics::histogram!("llm_call_duration_seconds", "provider" => name)
                .record(duration.as_secs_f64());
            let outcome = match result {
                Ok(answer) => {
                    metrics::counter!("llm_calls_total", "provider" => name, "outcome" => "ok")
                        .increment(1);
                    tracing::debug!(
                        llm.provider = name,
                        llm.task = task.as_str(),
                        duration_ms = duration.as_millis() as u64,
                        "llm answered"
                    );
                    // after a failed read, a write would most likely wait out the timeout too
                    if cache_status != CacheStatus::Unavailable
                        && let (Some(cache), Some(key)) = (&inner.cache, keys.get(i))
                    {
                        cache.store(key, task, &answer).await;
                    }
                    analysis.apply_provider(&answer);
                    attempts.push(Attempt {
                        provider: provider.source_name(),
                        outcome: AttemptOutcome::Ok,
                        duration,
                    });
                    return Report {
                        analysis,
                        task,
                        cache: cache_status,
                        attempts,
                    };
                }
                Err(e) => e,
            };
            metrics::counter!("llm_calls_total", "provider" => name, "outcome" => outcome.outcome())
                .increment(1);
            tracing::warn!(
                llm.provider = name,
                llm.task = task.as_str(),
                llm.outcome = outcome.outcome(),
                duration_ms = duration.as_millis() as u64,
                error = %outcome,
                "llm call failed, trying the next source"
            );
            if let CallError::RateLimited { retry_after } = &outcome {
                self.cool_down(i, retry_after.unwrap_or(DEFAULT_COOLDOWN));
            }
            attempts.push(Attempt {
                provider: provider.source_name(),
                outcome: AttemptOutcome::Failed(outcome),
                duration,
            });
        }
        metrics::counter!("llm_builtin_fallbacks_total").increment(1);
        Report {
            analysis,
            task,
            cache: cache_status,
            attempts,
        }
    }

    fn cooling_down(&self, i: usize) -> bool {
        let Ok(mut map) = self.inner.cooldowns.lock() else {
            return false;
        };
        match map.get(&i) {
            Some(until) if Instant::now() < *until => true,
            Some(_) => {
                map.remove(&i);
                false
            }
            None => false,
        }
    }

    fn cool_down(&self, i: usize, for_: Duration) {
        if for_.is_zero() {
            return;
        }
        if let Ok(mut map) = self.inner.cooldowns.lock() {
            map.insert(i, Instant::now() + for_);
        }
    }
}

/// A cache read under way.
struct Lookup {
    keys: Vec<String>,
    handle: tokio::task::JoinHandle<(CacheStatus, Option<(usize, intel::ProviderResult)>)>,
}

/// Pause after a 429 without `Retry-After`.
const DEFAULT_COOLDOWN: Duration = Duration::from_secs(10);

fn builtin_only(analysis: Analysis, task: Task) -> Report {
    Report {
        analysis,
        task,
        cache: CacheStatus::Disabled,
        attempts: Vec::new(),
    }
}
