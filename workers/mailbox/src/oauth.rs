//! OAuth 2.0 token calls for Gmail and Outlook mailboxes: the authorization-code exchange and the
//! refresh-token grant (form POSTs to the token endpoint, RFC 6749 §4.1.3 and §6), and the mailbox
//! address of a new grant. Provider settings are `shared::config::OAuthConfig`.
//!
//! Tokens are kept as the JSON of [`StoredTokens`], sealed with `MAIL_ENCRYPTION_KEY`. Nothing here logs
//! a token, a code or an address.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Url;
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
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(
            form(&[("a", "b c&d"), ("e", "é/")]),
            "a=b+c%26d&e=%C3%A9%2F"
        );
    }
}
