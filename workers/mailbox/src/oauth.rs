//! OAuth 2.0 token calls for Gmail and Outlook mailboxes: the authorization-code exchange and the
//! refresh-token grant (RFC 6749 §4.1.3 and §6, through the `oauth2` crate over our HTTP client), and
//! the mailbox address of a new grant. Provider settings are `shared::config::OAuthConfig`.
//!
//! Tokens are kept as the JSON of [`StoredTokens`], sealed with `MAIL_ENCRYPTION_KEY`. Nothing here logs
//! a token, a code or an address.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use shared::config::ProviderConfig;
use shared::models::email_account::Provider;

/// The tokens kept (sealed) for an OAuth account.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct StoredTokens {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
}

impl std::fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredTokens(<redacted>)")
    }
}

/// Tokens granted, with their expiry.
#[derive(Debug, Clone)]
pub struct Grant {
    pub tokens: StoredTokens,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Why a token request failed. Carries the provider's error code and description, never a token.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The grant (code or refresh token) was refused: `invalid_grant` means revoked or expired.
    #[error("the token endpoint refused the grant: {error}{}", .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        error: String,
        description: Option<String>,
    },
    #[error("token endpoint: {0}")]
    Http(String),
    #[error("provider API answered {status} to {what}")]
    Api { status: u16, what: &'static str },
}

impl OAuthError {
    /// True when the user must consent again (a revoked or expired grant).
    pub fn is_invalid_grant(&self) -> bool {
        matches!(self, Self::Refused { error, .. } if error == "invalid_grant")
    }
}

/// The shared HTTP client of OAuth and provider API calls, under the egress policy (bounded timeouts:
/// 10 s to connect, 60 s in all).
pub fn http_client(policy: &egress::EgressPolicy) -> egress::EgressHttp {
    policy
        .http_client(egress::HttpLimits::default())
        .unwrap_or_else(|_| egress::EgressHttp::strict())
}

/// Largest token-endpoint answer read; a bigger one is refused rather than buffered.
const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;

/// Why a request of the OAuth client failed (transport, or an answer over the size cap).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(String);

/// Sends one request of the `oauth2` crate through our client (the egress policy, its timeouts, and a
/// cap on the answer's size); errors never carry the URL nor the answer.
async fn send(
    http: egress::EgressHttp,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, TransportError> {
    let error = |e: egress::EgressError| TransportError(e.to_string());
    let request = reqwest::Request::try_from(request)
        .map_err(|e| TransportError(e.without_url().to_string()))?;
    let response = http.execute(request).await.map_err(error)?;
    let mut answer = oauth2::http::Response::builder().status(response.status().as_u16());
    for (name, value) in response.headers() {
        answer = answer.header(name.as_str(), value.as_bytes());
    }
    let body = egress::read_body_capped(response, MAX_TOKEN_RESPONSE_BYTES)
        .await
        .map_err(error)?;
    answer
        .body(body)
        .map_err(|e| TransportError(format!("token response: {e}")))
}

/// The provider's OAuth client: credentials in the request body (RFC 6749 §2.3.1), as both providers
/// accept and as the CRM has always sent them.
fn client(
    p: &ProviderConfig,
) -> oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
> {
    oauth2::basic::BasicClient::new(oauth2::ClientId::new(p.client_id.clone()))
        .set_client_secret(oauth2::ClientSecret::new(
            p.client_secret.expose_secret().to_owned(),
        ))
        .set_auth_type(oauth2::AuthType::RequestBody)
        .set_token_uri(oauth2::TokenUrl::from_url(p.token_url.clone()))
}

/// The grant of a token answer; a refresh answer without a refresh token keeps `previous_refresh`
/// (Google), Microsoft rotates it.
fn grant(
    answer: Result<
        oauth2::basic::BasicTokenResponse,
        oauth2::RequestTokenError<TransportError, oauth2::basic::BasicErrorResponse>,
    >,
    previous_refresh: Option<&str>,
) -> Result<Grant, OAuthError> {
    use oauth2::TokenResponse;
    let t = answer.map_err(|e| match e {
        oauth2::RequestTokenError::ServerResponse(r) => OAuthError::Refused {
            error: r.error().as_ref().chars().take(100).collect(),
            description: r.error_description().map(|d| d.chars().take(300).collect()),
        },
        oauth2::RequestTokenError::Request(e) => OAuthError::Http(e.to_string()),
        // The parse error and the raw answer may quote a token: neither is kept.
        oauth2::RequestTokenError::Parse(_, _) => {
            OAuthError::Http("unexpected token response".to_owned())
        }
        oauth2::RequestTokenError::Other(m) => OAuthError::Http(m.chars().take(200).collect()),
    })?;
    let expires_at = t.expires_in().map(|d| {
        let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Utc::now() + chrono::Duration::seconds(secs.clamp(0, 86_400 * 365))
    });
    Ok(Grant {
        tokens: StoredTokens {
            access_token: t.access_token().secret().clone(),
            refresh_token: t
                .refresh_token()
                .map(|r| r.secret().clone())
                .or_else(|| previous_refresh.map(str::to_owned)),
            scope: t.scopes().map(|s| {
                s.iter()
                    .map(|scope| scope.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
            token_type: Some(t.token_type().as_ref().to_owned()),
        },
        expires_at,
    })
}

/// Exchanges an authorization code for tokens, proving the consent's PKCE `pkce_verifier` (RFC 7636).
pub async fn exchange_code(
    http: &egress::EgressHttp,
    p: &ProviderConfig,
    redirect_uri: &str,
    code: &SecretString,
    pkce_verifier: &str,
) -> Result<Grant, OAuthError> {
    let redirect = oauth2::RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|_| OAuthError::Http("invalid redirect URI".to_owned()))?;
    let answer = client(p)
        .exchange_code(oauth2::AuthorizationCode::new(
            code.expose_secret().to_owned(),
        ))
        .set_redirect_uri(std::borrow::Cow::Owned(redirect))
        .set_pkce_verifier(oauth2::PkceCodeVerifier::new(pkce_verifier.to_owned()))
        .request_async(&|request| send(http.clone(), request))
        .await;
    grant(answer, None)
}

/// Gets a new access token with the refresh token (a rotated refresh token is returned in the grant).
pub async fn refresh(
    http: &egress::EgressHttp,
    p: &ProviderConfig,
    refresh_token: &str,
) -> Result<Grant, OAuthError> {
    let token = oauth2::RefreshToken::new(refresh_token.to_owned());
    let answer = client(p)
        .exchange_refresh_token(&token)
        .request_async(&|request| send(http.clone(), request))
        .await;
    grant(answer, Some(refresh_token))
}

/// The mailbox address of a new grant: Gmail's `users/me/profile` `emailAddress`, Graph's `/me` `mail`
/// (else `userPrincipalName`).
pub async fn mailbox_address(
    http: &egress::EgressHttp,
    provider: Provider,
    p: &ProviderConfig,
    access_token: &str,
) -> Result<String, OAuthError> {
    let base = p.api_url.as_str().trim_end_matches('/');
    let (url, what) = match provider {
        Provider::Gmail => (format!("{base}/gmail/v1/users/me/profile"), "profile"),
        _ => (format!("{base}/me"), "me"),
    };
    let request = http
        .client()
        .get(url)
        .bearer_auth(access_token)
        .build()
        .map_err(|e| OAuthError::Http(e.without_url().to_string()))?;
    let res = http
        .execute(request)
        .await
        .map_err(|e| OAuthError::Http(e.to_string()))?;
    if !res.status().is_success() {
        return Err(OAuthError::Api {
            status: res.status().as_u16(),
            what,
        });
    }
    let body = egress::read_body_capped(res, MAX_TOKEN_RESPONSE_BYTES)
        .await
        .map_err(|e| OAuthError::Http(e.to_string()))?;
    let v: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| OAuthError::Http("unexpected profile response".to_owned()))?;
    let address = match provider {
        Provider::Gmail => v.get("emailAddress").and_then(|a| a.as_str()),
        _ => v
            .get("mail")
            .and_then(|a| a.as_str())
            .or_else(|| v.get("userPrincipalName").and_then(|a| a.as_str())),
    };
    address
        .map(|a| a.trim().to_owned())
        .filter(|a| a.contains('@'))
        .ok_or(OAuthError::Api { status: 200, what })
}
