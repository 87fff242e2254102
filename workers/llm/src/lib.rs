//! LLM cascade in front of the offline analyser (`intel`): providers tried in the configured
//! order (Ollama, Mistral, OpenAI, Anthropic), each with a timeout; a timeout, a transport error,
//! an HTTP error (429 included) or a reply that is not JSON of the expected shape moves on to the
//! next one, and the built-in analyser answers last. Answers are cached in Redis.
//!
//! ```no_run
//! # async fn demo() -> Result<(), llm::ConfigError> {
//! let analyzer = llm::Analyzer::from_env(|k| std::env::var(k).ok())?;
//! let analysis = analyzer.analyze_text("Bonjour, pouvez-vous m'envoyer le DIC ?").await;
//! println!("{:?} from {:?}", analysis.intent.label, analysis.intent.source);
//! # Ok(()) }
//! ```
//!
//! With no `LLM_PROVIDERS` the built-in analyser alone answers, without network. Message
//! content is never logged; API keys are `SecretString`s and never printed.

pub mod analyzer;
pub mod cache;
pub mod config;
pub mod input;
pub mod prompt;
pub mod providers;

pub use analyzer::{Analyzer, Attempt, AttemptOutcome, Report};
pub use cache::CacheStatus;
pub use config::{CacheConfig, ConfigError, LlmConfig, ProviderConfig, ProviderKind};
pub use prompt::{PROMPT_VERSION, Task};
