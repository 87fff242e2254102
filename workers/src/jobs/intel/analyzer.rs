//! The process-wide analyser: built once from the `LLM_*` variables, with the job queue's Redis
//! connection as the LLM cache when providers are configured.

use std::sync::OnceLock;

use redis::aio::ConnectionManager;

static ANALYZER: OnceLock<Result<llm::Analyzer, String>> = OnceLock::new();

/// The analyser of this process, built on first use. An invalid `LLM_*` configuration is reported
/// (the message names the variable, never a key) on every use rather than silently ignored.
pub fn shared_analyzer(redis: &ConnectionManager) -> Result<&'static llm::Analyzer, String> {
    ANALYZER
        .get_or_init(|| {
            let analyzer = llm::Analyzer::from_env(|k| std::env::var(k).ok())
                .map_err(|e| format!("LLM configuration: {e}"))?;
            Ok(if analyzer.config().providers.is_empty() {
                analyzer
            } else {
                analyzer.with_redis(redis.clone())
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}
