//! OAuth clients of the Gmail and Outlook mailbox providers, read from the environment: the API needs
//! them for consent and the code exchange, the workers for token refresh and API calls.

use secrecy::SecretString;
use url::Url;

use super::{ConfigError, EnvSource};
use crate::models::email_account::Provider;

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
            provider.as_str()
        ))
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use super::*;

    #[test]
    fn providers_are_optional_and_bad_values_name_the_variable() {
        let none = OAuthConfig::from_env(&EnvSource::from_pairs(&[])).unwrap();
        assert!(none.google.is_none() && none.microsoft.is_none());
        let err =
            OAuthConfig::from_env(&EnvSource::from_pairs(&[("GOOGLE_OAUTH_CLIENT_ID", "id")]))
                .unwrap_err();
        assert!(
            err.to_string().contains("GOOGLE_OAUTH_CLIENT_SECRET"),
            "{err}"
        );
        let err = OAuthConfig::from_env(&EnvSource::from_pairs(&[
            ("MS_OAUTH_CLIENT_ID", "id"),
            ("MS_OAUTH_CLIENT_SECRET", "s"),
            ("MS_TOKEN_URL", "ftp://nope"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("MS_TOKEN_URL"), "{err}");
        let err = OAuthConfig::from_env(&EnvSource::from_pairs(&[
            ("MS_OAUTH_CLIENT_ID", "id"),
            ("MS_OAUTH_CLIENT_SECRET", "s"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("OAUTH_REDIRECT_BASE"), "{err}");
        let ok = OAuthConfig::from_env(&EnvSource::from_pairs(&[
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
        assert!(OAuthConfig::from_env(&EnvSource::from_pairs(&vars)).is_err());
        let workers = OAuthConfig::providers_from_env(&EnvSource::from_pairs(&vars)).unwrap();
        let ms = workers.provider(Provider::Outlook).unwrap();
        assert_eq!(ms.api_url.as_str(), "http://127.0.0.1:9/graph/v1.0");
        assert!(workers.google.is_none() && workers.redirect_base.is_none());
    }
}
