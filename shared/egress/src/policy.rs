//! The policy itself: the operator's allow-list over the blocked ranges, name resolution done once, and
//! TCP connections pinned to the checked address.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use tokio::net::TcpStream;

use crate::{BlockedRange, EgressError, blocked_range, embedded_v4};

/// Where outbound connections may go: every public address, plus the operator's allow-list
/// (`EGRESS_ALLOW_CIDRS`). Cheap to clone. [`EgressPolicy::default`] is the strict policy (no allow-list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    allow: Vec<IpNet>,
}

/// A CIDR of the allow-list could not be read; the message quotes the bad item.
#[derive(Debug, thiserror::Error)]
#[error("`{item}` is not a CIDR (expected e.g. 10.1.2.0/24, 127.0.0.1/32 or fd12::/64)")]
pub struct AllowListError {
    pub item: String,
}

impl EgressPolicy {
    /// A policy whose refusals the addresses of `allow` escape.
    pub fn new(allow: Vec<IpNet>) -> Self {
        Self { allow }
    }

    /// Reads a comma-separated list of CIDRs (blank items ignored; a bare address counts as a /32 or
    /// /128), as `EGRESS_ALLOW_CIDRS` holds.
    pub fn parse_allow_list(list: &str) -> Result<Self, AllowListError> {
        let mut allow = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = IpNet::from_str(item)
                .or_else(|_| IpAddr::from_str(item).map(IpNet::from))
                .map_err(|_| AllowListError {
                    item: item.chars().take(64).collect(),
                })?;
            allow.push(net.trunc());
        }
        Ok(Self { allow })
    }

    /// The allow-list.
    pub fn allowed(&self) -> &[IpNet] {
        &self.allow
    }

    /// Ok when `ip` may be reached: public, or in the allow-list (an IPv6 form that embeds an IPv4
    /// address counts as that address too).
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), EgressError> {
        let Some(range) = blocked_range(ip) else {
            return Ok(());
        };
        let embedded = match ip {
            IpAddr::V6(v6) => embedded_v4(v6).map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        let allowed = self
            .allow
            .iter()
            .any(|net| net.contains(&ip) || embedded.is_some_and(|e| net.contains(&e)));
        if allowed {
            Ok(())
        } else {
            Err(EgressError::Refused(range))
        }
    }

    /// Resolves `host` once and keeps the addresses the policy allows, in the resolver's order. An IP
    /// literal (`192.0.2.1`, `::1`, `[::1]`) is checked without a lookup. Fails with the first refusal's
    /// range when every address is refused.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, EgressError> {
        let host = host.trim();
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if bare.is_empty() {
            return Err(EgressError::InvalidHost);
        }
        if let Ok(ip) = IpAddr::from_str(bare) {
            self.check_ip(ip)?;
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let found: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| EgressError::Resolve(Some(e)))?
            .collect();
        self.filter(found)
    }

    /// The allowed addresses among `found`; the first refusal when none is.
    pub(crate) fn filter(&self, found: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, EgressError> {
        if found.is_empty() {
            return Err(EgressError::Resolve(None));
        }
        let mut refused: Option<BlockedRange> = None;
        let allowed: Vec<SocketAddr> = found
            .into_iter()
            .filter(|a| match self.check_ip(a.ip()) {
                Ok(()) => true,
                Err(EgressError::Refused(r)) => {
                    refused.get_or_insert(r);
                    false
                }
                Err(_) => false,
            })
            .collect();
        match (allowed.is_empty(), refused) {
            (false, _) => Ok(allowed),
            (true, Some(r)) => Err(EgressError::Refused(r)),
            (true, None) => Err(EgressError::Resolve(None)),
        }
    }

    /// Resolves `host` once, checks every address, and connects to the first allowed one that answers —
    /// to that checked address, never through a second lookup — within `timeout` in all.
    pub async fn connect_tcp(
        &self,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<TcpStream, EgressError> {
        tokio::time::timeout(timeout, async {
            let addrs = self.resolve(host, port).await?;
            let mut last = None;
            for addr in addrs {
                match TcpStream::connect(addr).await {
                    Ok(s) => return Ok(s),
                    Err(e) => last = Some(e),
                }
            }
            Err(EgressError::Connect(last.unwrap_or_else(|| {
                std::io::Error::from(std::io::ErrorKind::AddrNotAvailable)
            })))
        })
        .await
        .map_err(|_| EgressError::ConnectTimeout)?
    }
}
