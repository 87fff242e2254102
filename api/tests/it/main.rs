//! The API's integration tests, one binary (one link) for all: each module is one area.

#[macro_use]
mod common;
#[macro_use]
mod dashboard_common;

mod ai_learning;
mod auth;
mod autofill;
mod campaigns;
mod dashboard_actions;
mod dashboard_malformed;
mod dashboard_session;
mod egress;
mod email_accounts;
mod input_bounds;
mod intelligence;
mod job_ownership;
mod jobs;
mod monitoring;
mod notifications;
mod oauth;
mod platform;
mod redis_sentinel;
mod rgpd;
mod routing_rules;
mod slow_clients;
mod token_revocation;
mod viewer_read_only;
mod webhooks;
