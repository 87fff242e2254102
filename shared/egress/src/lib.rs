//! THE egress policy of the platform: every outbound connection (IMAP, the Gmail and Graph APIs, OAuth
//! token endpoints, LLM providers, and later SerpAPI and webhooks) goes through it.
//!
//! - Addresses outside the public Internet ([`BlockedRange`]: loopback, private, CGNAT, link-local and
//!   cloud metadata, multicast, reserved, IPv6 ULA, and IPv6 forms embedding such an IPv4) are refused
//!   **after** DNS resolution, unless the operator's allow-list (`EGRESS_ALLOW_CIDRS`) contains them.
//! - A name is resolved once; the connection goes to the checked address ([`EgressPolicy::connect_tcp`],
//!   and for HTTP the resolver of [`EgressPolicy::http_client_builder`]).
//! - HTTP redirects are checked hop by hop, bodies read under a cap ([`read_body_capped`]).
//! - Errors ([`EgressError`]) never hold the peer's bytes nor the resolved address.
//!
//! ```no_run
//! # async fn f() -> Result<(), egress::EgressError> {
//! use std::time::Duration;
//! let policy = egress::EgressPolicy::parse_allow_list("10.20.0.0/16").expect("a CIDR list");
//! // TCP (IMAP, SMTP…): resolved once, checked, connected to the checked address.
//! let tcp = policy.connect_tcp("imap.example.com", 993, Duration::from_secs(10)).await?;
//! // HTTP: a client whose resolver and redirects obey the policy.
//! let http = policy.http_client(egress::HttpLimits::default())?;
//! let request = http.client().get("https://api.example.com/v1").build()?;
//! let response = http.execute(request).await?;
//! let body = egress::read_body_capped(response, 64 * 1024).await?;
//! # drop((tcp, body)); Ok(()) }
//! ```

mod error;
mod http;
mod policy;
mod ranges;

pub use error::EgressError;
pub use http::{EgressHttp, HttpLimits, MAX_REDIRECTS, read_body_capped};
pub use ipnet::IpNet;
pub use policy::{AllowListError, EgressPolicy};
pub use ranges::{BlockedRange, blocked_range, embedded_v4};
