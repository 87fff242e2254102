//! The API's integration tests, one binary (one link) for all: each module is one area.

#[macro_use]
mod common;
#[macro_use]
mod dashboard_common;

mod auth;
mod dashboard_actions;
mod dashboard_malformed;
mod dashboard_session;
mod email_accounts;
mod intelligence;
mod jobs;
mod oauth;
mod platform;
mod redis_sentinel;
