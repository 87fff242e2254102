//! `SMTP_URL`, `SMTP_FROM`, `SMTP_ALLOW_PLAINTEXT`, `SMTP_POOL_SIZE`, `SMTP_TIMEOUT_SECS`.

use std::time::Duration;

use lettre::message::Mailbox;
use secrecy::SecretString;
use shared::config::{ConfigError, EnvSource};

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtps://`: TLS from the first byte (port 465).
    Tls,
    /// `smtp://`: STARTTLS required; a server that does not offer it is refused (port 587).
    StartTls,
    /// `smtp://…?tls=none`: plaintext, only with `SMTP_ALLOW_PLAINTEXT=true` (a local relay, tests).
    None,
}

/// Where and how mail is sent.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// `SMTP_FROM`: the sender of platform mail (`CRM <noreply@example.com>`).
    pub from: Mailbox,
    /// `SMTP_POOL_SIZE` (4): connections kept open per process.
    pub pool_size: u32,
    /// `SMTP_TIMEOUT_SECS` (30): one command's answer.
    pub timeout: Duration,
}

impl SmtpConfig {
    /// `None` when `SMTP_URL` is unset (mail features then report themselves off); an invalid setting is
    /// an error naming the variable.
    pub fn from_env(env: &EnvSource) -> Result<Option<Self>, ConfigError> {
        const URL: &str = "SMTP_URL";
        let Some(raw) = env.get(URL).filter(|v| !v.trim().is_empty()) else {
            return Ok(None);
        };
        let url = url::Url::parse(raw.trim()).map_err(|_| {
            env.invalid(
                URL,
                "expected smtp://[user:pass@]host[:port][?tls=none] or smtps://…",
            )
        })?;
        let plain = url.query_pairs().any(|(k, v)| k == "tls" && v == "none");
        let security = match (url.scheme(), plain) {
            ("smtps", false) => SmtpSecurity::Tls,
            ("smtp", false) => SmtpSecurity::StartTls,
            ("smtp", true) => SmtpSecurity::None,
            _ => {
                return Err(env.invalid(URL, "scheme smtp (STARTTLS, or ?tls=none) or smtps (TLS)"));
            }
        };
        if security == SmtpSecurity::None && !env.bool_or("SMTP_ALLOW_PLAINTEXT", false)? {
            return Err(env.invalid(
                URL,
                "?tls=none sends passwords and mail in clear: set SMTP_ALLOW_PLAINTEXT=true to allow it",
            ));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| env.invalid(URL, "no host"))?
            .to_owned();
        let port = url.port().unwrap_or(match security {
            SmtpSecurity::Tls => 465,
            _ => 587,
        });
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let username = (!url.username().is_empty()).then(|| decode(url.username()));
        let password = url.password().map(|p| SecretString::from(decode(p)));
        const FROM: &str = "SMTP_FROM";
        let from: Mailbox = env
            .required(FROM)?
            .parse()
            .map_err(|_| env.invalid(FROM, "an address, e.g. `CRM <noreply@example.com>`"))?;
        Ok(Some(Self {
            host,
            port,
            security,
            username,
            password,
            from,
            pool_size: env.parse_in("SMTP_POOL_SIZE", 4, 1..=64)?,
            timeout: Duration::from_secs(env.parse_in("SMTP_TIMEOUT_SECS", 30, 1..=600)?),
        }))
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvSource {
        EnvSource::from_pairs(pairs)
    }

    #[test]
    fn urls_are_read_and_plaintext_needs_an_opt_in() {
        assert!(SmtpConfig::from_env(&env(&[])).unwrap().is_none());
        let c = SmtpConfig::from_env(&env(&[
            ("SMTP_URL", "smtp://crm%40ex.fr:p%40ss@mail.ex.fr"),
            ("SMTP_FROM", "CRM <noreply@ex.fr>"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.security),
            ("mail.ex.fr", 587, SmtpSecurity::StartTls)
        );
        assert_eq!(c.username.as_deref(), Some("crm@ex.fr"));
        use secrecy::ExposeSecret;
        assert_eq!(c.password.unwrap().expose_secret(), "p@ss");
        let tls = SmtpConfig::from_env(&env(&[
            ("SMTP_URL", "smtps://mail.ex.fr"),
            ("SMTP_FROM", "a@ex.fr"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!((tls.port, tls.security), (465, SmtpSecurity::Tls));
        let e = SmtpConfig::from_env(&env(&[
            ("SMTP_URL", "smtp://127.0.0.1:25?tls=none"),
            ("SMTP_FROM", "a@ex.fr"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("SMTP_ALLOW_PLAINTEXT"), "{e}");
        for (url, from) in [("http://x", "a@ex.fr"), ("smtp://x", "not an address")] {
            assert!(SmtpConfig::from_env(&env(&[("SMTP_URL", url), ("SMTP_FROM", from)])).is_err());
        }
        assert!(
            SmtpConfig::from_env(&env(&[("SMTP_URL", "smtp://x")])).is_err(),
            "SMTP_FROM required"
        );
    }
}
