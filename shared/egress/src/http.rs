//! reqwest under the policy: a resolver that drops refused addresses (the connection then goes to an
//! address that was checked, no second lookup), a redirect policy that checks every hop, no proxy from
//! the environment, bounded timeouts, and a body reader with a byte cap.
//!
//! reqwest never asks the resolver about IP-literal hosts (`http://169.254.169.254/`): the redirect
//! policy checks them on every hop, and [`EgressPolicy::check_url`] must be called on the first URL
//! ([`EgressHttp::execute`] does it).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Client, ClientBuilder, Request, Response, Url};

use crate::{EgressError, EgressPolicy};

/// Redirects followed at most.
pub const MAX_REDIRECTS: usize = 5;

/// Timeouts of an HTTP client.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// TCP connect (and TLS) of one connection.
    pub connect_timeout: Duration,
    /// The whole exchange, body included.
    pub timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
        }
    }
}

/// The resolver of policy clients: system lookup, then the policy's filter.
#[derive(Debug, Clone)]
struct PolicyResolver {
    policy: EgressPolicy,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| EgressError::Resolve(Some(e)))?
                .collect();
            let allowed = policy.filter(found)?;
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

impl EgressPolicy {
    /// Ok when `url` is `http(s)` and, if its host is an IP literal, that address is allowed (names are
    /// checked by the resolver of [`EgressPolicy::http_client_builder`] clients after resolution).
    pub fn check_url(&self, url: &Url) -> Result<(), EgressError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(EgressError::Scheme);
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.check_ip(ip.into()),
            Some(url::Host::Ipv6(ip)) => self.check_ip(ip.into()),
            Some(url::Host::Domain(d)) if !d.is_empty() => Ok(()),
            _ => Err(EgressError::InvalidHost),
        }
    }

    /// A reqwest builder under the policy: filtering resolver, redirects re-checked (at most
    /// [`MAX_REDIRECTS`]), no proxy taken from the environment (call `.proxy(...)` on the builder to use
    /// one), `limits` as timeouts. Add what the caller needs (headers, TLS roots) and build.
    pub fn http_client_builder(&self, limits: HttpLimits) -> ClientBuilder {
        let hops = self.clone();
        let redirect = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(EgressError::TooManyRedirects);
            }
            match hops.check_url(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        });
        Client::builder()
            .no_proxy()
            .dns_resolver(Arc::new(PolicyResolver {
                policy: self.clone(),
            }))
            .redirect(redirect)
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.timeout)
    }

    /// [`EgressPolicy::http_client_builder`], built, wrapped with the policy in an [`EgressHttp`].
    pub fn http_client(&self, limits: HttpLimits) -> Result<EgressHttp, EgressError> {
        self.http_client_with(limits, |b| b)
    }

    /// [`EgressPolicy::http_client`] with the builder adjusted by `adjust` first (user agent, default
    /// headers, `redirect(Policy::none())`…). The resolver stays the policy's, and [`EgressHttp::execute`]
    /// still checks the first URL.
    pub fn http_client_with(
        &self,
        limits: HttpLimits,
        adjust: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> Result<EgressHttp, EgressError> {
        let client = adjust(self.http_client_builder(limits)).build()?;
        Ok(EgressHttp {
            client,
            policy: self.clone(),
            usable: true,
        })
    }
}

/// A reqwest client built under a policy, with the policy: [`EgressHttp::execute`] checks the first URL
/// (the resolver and the redirect policy do the rest). Cheap to clone.
#[derive(Debug, Clone)]
pub struct EgressHttp {
    client: Client,
    policy: EgressPolicy,
    /// False for the stand-in of a client that could not be built: it refuses every request rather
    /// than send one without the policy's resolver.
    usable: bool,
}

impl EgressHttp {
    /// The strict policy's client with default limits (no allow-list), for places with no configuration.
    /// Should the HTTP client fail to build (no TLS backend), the result refuses every request.
    pub fn strict() -> Self {
        EgressPolicy::default()
            .http_client(HttpLimits::default())
            .unwrap_or_else(|_| Self {
                client: Client::new(),
                policy: EgressPolicy::default(),
                usable: false,
            })
    }

    /// The underlying client, to build requests (`client().get(url)`); send them with
    /// [`EgressHttp::execute`] or check their URL with [`EgressHttp::check`] first.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The policy of this client.
    pub fn policy(&self) -> &EgressPolicy {
        &self.policy
    }

    /// Checks a request's URL against the policy.
    pub fn check(&self, url: &Url) -> Result<(), EgressError> {
        if !self.usable {
            return Err(EgressError::Unavailable);
        }
        self.policy.check_url(url)
    }

    /// Checks the request's URL, then sends it.
    pub async fn execute(&self, request: Request) -> Result<Response, EgressError> {
        self.check(request.url())?;
        Ok(self.client.execute(request).await?)
    }
}

/// Reads a response body up to `limit` bytes: refused at once when `Content-Length` announces more, and
/// reading stops (nothing more buffered) as soon as the bytes received pass the cap.
pub async fn read_body_capped(
    mut response: Response,
    limit: usize,
) -> Result<Vec<u8>, EgressError> {
    if response
        .content_length()
        .is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX))
    {
        return Err(EgressError::BodyTooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Err(EgressError::BodyTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
