//! Webhooks of the CRM job platform (Standard Webhooks 1.0).
//!
//! - [`sign`]: the `webhook-signature` header, checked against the specification's test vector.
//! - [`message`]: the `{type, timestamp, data}` body, thinned to a reference above 20 kB.
//! - [`deliver`]: one attempt of `webhooks.deliver`: sign, POST under the egress policy (15 s, no
//!   redirects), log, and decide: success, retry on the schedule, throttle (429/502/504 and
//!   `Retry-After`), or turn the endpoint off (410, or failing for days).
//! - [`sweep`]: `webhooks.sweep`: lost deliveries back to a job, failing endpoints off, old logs purged.

pub mod deliver;
pub mod message;
pub mod sign;
pub mod sweep;

use shared::config::WebhookConfig;
use shared::crypto::SecretBox;
use shared::db::PgPool;

/// What the webhook jobs need, built once at boot.
#[derive(Clone)]
pub struct WebhookEnv {
    pub pool: PgPool,
    /// Seals endpoint secrets (`MAIL_ENCRYPTION_KEY`); without it nothing can be signed.
    pub secrets: Option<SecretBox>,
    /// A client under the platform's egress policy, 15 s timeout, redirects not followed.
    pub http: egress::EgressHttp,
    pub config: WebhookConfig,
}

impl WebhookEnv {
    /// The delivery client: the egress policy's, with a 15 s limit on the whole exchange and no redirect
    /// followed (a 3xx is a failure, per Standard Webhooks).
    pub fn http_client(
        policy: &egress::EgressPolicy,
    ) -> Result<egress::EgressHttp, egress::EgressError> {
        let limits = egress::HttpLimits {
            connect_timeout: std::time::Duration::from_secs(5),
            timeout: deliver::REQUEST_TIMEOUT,
        };
        policy.http_client_with(limits, |b| {
            b.redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("crm-webhooks/", env!("CARGO_PKG_VERSION")))
        })
    }
}
