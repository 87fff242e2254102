//! The workers' integration tests, one binary (one link) for all: each module is one area.

mod common;
mod providers;

mod autofill;
mod autofill_enrich;
mod campaign_bounces;
mod campaigns;
mod intel_jobs;
mod job_actor;
mod mail_gmail;
mod mail_graph;
mod mail_limits;
mod mail_oauth_tokens;
mod mail_sync;
mod mail_threads;
mod mail_tls;
mod rgpd_jobs;
mod routing;
mod runtime_admin;
mod runtime_crash;
mod runtime_failover;
mod runtime_pause_history;
mod runtime_rate_limit;
mod runtime_retries;
mod runtime_throughput;
mod scheduler;
mod webhooks;
