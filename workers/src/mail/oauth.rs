//! OAuth 2.0 for Gmail and Outlook mailboxes: provider settings from the environment, the consent URL,
//! the one-time `state` kept in Redis, the authorization-code exchange and the refresh-token grant
//! (form POSTs to the token endpoint, RFC 6749 §4.1.3 and §6), and the mailbox address of a new grant.
//!
//! Tokens are kept as the JSON of [`StoredTokens`], sealed with `MAIL_ENCRYPTION_KEY`. Nothing here logs
//! a token, a code or an address.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::RngCore;
use redis::aio::ConnectionManager;
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use shared::config::{ConfigError, EnvSource};
use shared::models::UserId;
use shared::models::email_account::Provider;

/// How long a `state` stays valid.
pub const STATE_TTL_SECS: u64 = 300;

const GMAIL_SCOPE: &str = "https://www.googleapis.com/auth/gmail.readonly";
const GRAPH_SCOPE: &str =
    "offline_access https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read";

/// One provider's OAuth client and endpoints.
#[derive(Clone)]
pub struct ProviderConfig {
    pub client_id: String,
    pub client_secret: SecretString,
    pub auth_url: Url,
    pub token_url: Url,
    /// `GMAIL_API_URL` or `GRAPH_API_URL`.
    pub api_url: Url,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("auth_url", &self.auth_url.as_str())
            .field("token_url", &self.token_url.as_str())
            .field("api_url", &self.api_url.as_str())
            .finish_non_exhaustive()
    }
}

/// OAuth settings: a provider is enabled when its client id is set; its secret is then required and its
/// URLs default to the real endpoints. `OAUTH_REDIRECT_BASE` is required when any provider is enabled.
#[derive(Debug, Clone, Default)]
pub struct OAuthConfig {
    pub google: Option<ProviderConfig>,
    pub microsoft: Option<ProviderConfig>,
    /// Public base URL of the API; the redirect URI is `{base}/api/v1/oauth/{provider}/callback`.
    pub redirect_base: Option<Url>,
}

fn url_var(env: &EnvSource, name: &str, default: &str) -> Result<Url, ConfigError> {
    let raw = env.string_or(name, default)?;
    let url = Url::parse(raw.trim()).map_err(|e| ConfigError::Invalid {
        name: name.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::Invalid {
            name: name.to_owned(),
            reason: "expected an http(s) URL".to_owned(),
        });
    }
    Ok(url)
}

fn provider(
    env: &EnvSource,
    prefix_id: &str,
    prefix_secret: &str,
    urls: [(&str, &str); 3],
) -> Result<Option<ProviderConfig>, ConfigError> {
    let Some(client_id) = env.get(prefix_id).filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    let client_secret = SecretString::from(env.required(prefix_secret)?);
    let [(auth, auth_d), (token, token_d), (api, api_d)] = urls;
    Ok(Some(ProviderConfig {
        client_id: client_id.trim().to_owned(),
        client_secret,
        auth_url: url_var(env, auth, auth_d)?,
        token_url: url_var(env, token, token_d)?,
        api_url: url_var(env, api, api_d)?,
    }))
}

impl OAuthConfig {
    /// Reads and validates the OAuth variables; an error names the variable.
    pub fn from_env(env: &EnvSource) -> Result<Self, ConfigError> {
        let mut config = Self::providers_from_env(env)?;
        if config.google.is_some() || config.microsoft.is_some() {
            env.required("OAUTH_REDIRECT_BASE")?;
            config.redirect_base = Some(url_var(env, "OAUTH_REDIRECT_BASE", "")?);
        }
        Ok(config)
    }

    /// The providers only, as the workers need them (token refresh and API calls, no consent
    /// redirect): `OAUTH_REDIRECT_BASE` is not required.
    pub fn providers_from_env(env: &EnvSource) -> Result<Self, ConfigError> {
        let google = provider(
            env,
            "GOOGLE_OAUTH_CLIENT_ID",
            "GOOGLE_OAUTH_CLIENT_SECRET",
            [
                (
                    "GOOGLE_AUTH_URL",
                    "https://accounts.google.com/o/oauth2/v2/auth",
                ),
                ("GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token"),
                ("GMAIL_API_URL", "https://gmail.googleapis.com"),
            ],
        )?;
        let microsoft = provider(
            env,
            "MS_OAUTH_CLIENT_ID",
            "MS_OAUTH_CLIENT_SECRET",
            [
                (
                    "MS_AUTH_URL",
                    "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
                ),
                (
                    "MS_TOKEN_URL",
                    "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                ),
                ("GRAPH_API_URL", "https://graph.microsoft.com/v1.0"),
            ],
        )?;
        Ok(Self {
            google,
            microsoft,
            redirect_base: None,
        })
    }

    /// The settings of an OAuth provider, if enabled.
    pub fn provider(&self, provider: Provider) -> Option<&ProviderConfig> {
        match provider {
            Provider::Gmail => self.google.as_ref(),
            Provider::Outlook => self.microsoft.as_ref(),
            Provider::Imap => None,
        }
    }

    /// The redirect URI registered with the provider.
    pub fn redirect_uri(&self, provider: Provider) -> Option<String> {
        let base = self.redirect_base.as_ref()?;
        Some(format!(
            "{}/api/v1/oauth/{}/callback",
            base.as_str().trim_end_matches('/'),
            path_name(provider)
        ))
    }

    /// The consent URL the user is sent to, carrying `state`.
    pub fn authorize_url(&self, provider: Provider, state: &str) -> Option<Url> {
        let p = self.provider(provider)?;
        let redirect = self.redirect_uri(provider)?;
        let mut url = p.auth_url.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &p.client_id)
                .append_pair("redirect_uri", &redirect)
                .append_pair("response_type", "code")
                .append_pair("state", state);
            match provider {
                Provider::Gmail => {
                    // A refresh token is only issued for offline access, and again only on consent.
                    q.append_pair("scope", GMAIL_SCOPE)
                        .append_pair("access_type", "offline")
                        .append_pair("prompt", "consent");
                }
                _ => {
                    q.append_pair("scope", GRAPH_SCOPE)
                        .append_pair("response_mode", "query");
                }
            }
        }
        Some(url)
    }
}

/// `gmail` or `outlook`: the provider's name in paths.
pub fn path_name(provider: Provider) -> &'static str {
    provider.as_str()
}

/// An OAuth provider from its path name (`gmail`, `outlook`).
pub fn parse_provider(name: &str) -> Option<Provider> {
    match name {
        "gmail" => Some(Provider::Gmail),
        "outlook" => Some(Provider::Outlook),
        _ => None,
    }
}

/// A fresh random `state` (256 bits, hex).
pub fn new_state() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn state_key(ns: &str, state: &str) -> String {
    format!("{ns}:oauth:state:{state}")
}

/// Stores `state` for [`STATE_TTL_SECS`], bound to `user` and `provider`.
pub async fn save_state(
    redis: &mut ConnectionManager,
    ns: &str,
    state: &str,
    user: UserId,
    provider: Provider,
) -> Result<(), redis::RedisError> {
    redis::cmd("SET")
        .arg(state_key(ns, state))
        .arg(format!("{}:{}", user.0, provider.as_str()))
        .arg("EX")
        .arg(STATE_TTL_SECS)
        .arg("NX")
        .query_async::<Option<String>>(redis)
        .await?;
    Ok(())
}

/// Consumes `state` (whatever the outcome, it cannot be used again): true when it existed, had not
/// expired and was issued to `user` for `provider`.
pub async fn take_state(
    redis: &mut ConnectionManager,
    ns: &str,
    state: &str,
    user: UserId,
    provider: Provider,
) -> Result<bool, redis::RedisError> {
    if state.is_empty() || state.len() > 128 {
        return Ok(false);
    }
    let bound: Option<String> = redis::cmd("GETDEL")
        .arg(state_key(ns, state))
        .query_async(redis)
        .await?;
    Ok(bound.as_deref() == Some(format!("{}:{}", user.0, provider.as_str()).as_str()))
}

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

/// A token endpoint's success answer.
#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
}

/// A token endpoint's error answer (RFC 6749 §5.2).
#[derive(serde::Deserialize)]
struct TokenErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
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

/// The shared HTTP client of OAuth and provider API calls (bounded timeouts).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap_or_default()
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut url = Url::parse("http://form.invalid/").unwrap_or_else(|_| unreachable!());
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or_default().to_owned()
}

async fn token_request(
    http: &reqwest::Client,
    p: &ProviderConfig,
    pairs: &[(&str, &str)],
    previous_refresh: Option<&str>,
) -> Result<Grant, OAuthError> {
    let res = http
        .post(p.token_url.clone())
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(reqwest::header::ACCEPT, "application/json")
        .body(form(pairs))
        .send()
        .await
        .map_err(|e| OAuthError::Http(e.without_url().to_string()))?;
    let status = res.status();
    let body = res
        .bytes()
        .await
        .map_err(|e| OAuthError::Http(e.without_url().to_string()))?;
    if !status.is_success() {
        return Err(match serde_json::from_slice::<TokenErrorBody>(&body) {
            Ok(e) => OAuthError::Refused {
                error: e.error.chars().take(100).collect(),
                description: e.error_description.map(|d| d.chars().take(300).collect()),
            },
            Err(_) => OAuthError::Http(format!("HTTP {}", status.as_u16())),
        });
    }
    let t: TokenResponse = serde_json::from_slice(&body)
        // serde_json's message may quote a value (a token): its position only.
        .map_err(|e| {
            OAuthError::Http(format!(
                "unexpected token response ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
    let expires_at = t
        .expires_in
        .map(|s| Utc::now() + chrono::Duration::seconds(s.clamp(0, 86_400 * 365)));
    Ok(Grant {
        tokens: StoredTokens {
            access_token: t.access_token,
            // A refresh answer without a refresh token keeps the previous one (Google); Microsoft rotates it.
            refresh_token: t
                .refresh_token
                .or_else(|| previous_refresh.map(str::to_owned)),
            scope: t.scope,
            token_type: t.token_type,
        },
        expires_at,
    })
}

/// Exchanges an authorization code for tokens.
pub async fn exchange_code(
    http: &reqwest::Client,
    p: &ProviderConfig,
    redirect_uri: &str,
    code: &SecretString,
) -> Result<Grant, OAuthError> {
    let secret = p.client_secret.expose_secret();
    token_request(
        http,
        p,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.expose_secret()),
            ("redirect_uri", redirect_uri),
            ("client_id", &p.client_id),
            ("client_secret", secret),
        ],
        None,
    )
    .await
}

/// Gets a new access token with the refresh token (a rotated refresh token is returned in the grant).
pub async fn refresh(
    http: &reqwest::Client,
    p: &ProviderConfig,
    refresh_token: &str,
) -> Result<Grant, OAuthError> {
    let secret = p.client_secret.expose_secret();
    token_request(
        http,
        p,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &p.client_id),
            ("client_secret", secret),
        ],
        Some(refresh_token),
    )
    .await
}

/// The mailbox address of a new grant: Gmail's `users/me/profile` `emailAddress`, Graph's `/me` `mail`
/// (else `userPrincipalName`).
pub async fn mailbox_address(
    http: &reqwest::Client,
    provider: Provider,
    p: &ProviderConfig,
    access_token: &str,
) -> Result<String, OAuthError> {
    let base = p.api_url.as_str().trim_end_matches('/');
    let (url, what) = match provider {
        Provider::Gmail => (format!("{base}/gmail/v1/users/me/profile"), "profile"),
        _ => (format!("{base}/me"), "me"),
    };
    let res = http
        .get(url)
        .bearer_auth(access_token)
        .send()
        .await
        .map_err(|e| OAuthError::Http(e.without_url().to_string()))?;
    if !res.status().is_success() {
        return Err(OAuthError::Api {
            status: res.status().as_u16(),
            what,
        });
    }
    let v: serde_json::Value = res
        .json()
        .await
        .map_err(|e| OAuthError::Http(e.without_url().to_string()))?;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvSource {
        EnvSource::from_map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>(),
        )
    }

    #[test]
    fn providers_are_optional_and_bad_values_name_the_variable() {
        let none = OAuthConfig::from_env(&env(&[])).unwrap();
        assert!(none.google.is_none() && none.microsoft.is_none());
        let err = OAuthConfig::from_env(&env(&[("GOOGLE_OAUTH_CLIENT_ID", "id")])).unwrap_err();
        assert!(
            err.to_string().contains("GOOGLE_OAUTH_CLIENT_SECRET"),
            "{err}"
        );
        let err = OAuthConfig::from_env(&env(&[
            ("MS_OAUTH_CLIENT_ID", "id"),
            ("MS_OAUTH_CLIENT_SECRET", "s"),
            ("MS_TOKEN_URL", "ftp://nope"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("MS_TOKEN_URL"), "{err}");
        let err = OAuthConfig::from_env(&env(&[
            ("MS_OAUTH_CLIENT_ID", "id"),
            ("MS_OAUTH_CLIENT_SECRET", "s"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("OAUTH_REDIRECT_BASE"), "{err}");
        let ok = OAuthConfig::from_env(&env(&[
            ("GOOGLE_OAUTH_CLIENT_ID", "id"),
            ("GOOGLE_OAUTH_CLIENT_SECRET", "s"),
            ("OAUTH_REDIRECT_BASE", "https://crm.test/"),
        ]))
        .unwrap();
        assert_eq!(
            ok.redirect_uri(Provider::Gmail).unwrap(),
            "https://crm.test/api/v1/oauth/gmail/callback"
        );
        assert!(format!("{ok:?}").contains("oauth2.googleapis.com"));
        assert!(!format!("{ok:?}").contains("\"s\""));
    }

    #[test]
    fn workers_read_the_providers_without_a_redirect_base() {
        let vars = [
            ("MS_OAUTH_CLIENT_ID", "id"),
            ("MS_OAUTH_CLIENT_SECRET", "s"),
            ("GRAPH_API_URL", "http://127.0.0.1:9/graph/v1.0"),
        ];
        assert!(OAuthConfig::from_env(&env(&vars)).is_err());
        let workers = OAuthConfig::providers_from_env(&env(&vars)).unwrap();
        let ms = workers.provider(Provider::Outlook).unwrap();
        assert_eq!(ms.api_url.as_str(), "http://127.0.0.1:9/graph/v1.0");
        assert!(workers.google.is_none() && workers.redirect_base.is_none());
    }

    #[test]
    fn form_encoding_and_state() {
        assert_eq!(
            form(&[("a", "b c&d"), ("e", "é/")]),
            "a=b+c%26d&e=%C3%A9%2F"
        );
        let (a, b) = (new_state(), new_state());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
