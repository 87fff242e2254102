//! Mail settings: the key sealing account secrets, size limit, retention, import folder.

use std::path::PathBuf;
use std::time::Duration;

use super::{ConfigError, EnvSource};
use crate::crypto::SecretBox;

/// Mail settings, read by the workers (and the API, which seals the secrets of new accounts).
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `MAIL_ENCRYPTION_KEY`; `None` when unset: jobs needing a secret then fail permanently, naming it.
    pub secrets: Option<SecretBox>,
    /// `MAIL_MAX_BYTES`: larger messages are stored as metadata only.
    pub max_bytes: u64,
    /// `MAIL_RETENTION_DAYS`: bodies older than this are purged by `mail.cleanup`.
    pub retention_days: u32,
    /// `MAIL_IMPORT_DIR`: `mail.import` only reads below this folder; `None` disables imports.
    pub import_dir: Option<PathBuf>,
    /// `MAIL_TLS_CA_FILE`: extra CA certificates (DER, read from a PEM file at boot) trusted for IMAP
    /// servers with a private CA, on top of the system's roots.
    pub tls_extra_roots: Vec<Vec<u8>>,
    /// IMAP network limits (plaintext, timeouts).
    pub imap: ImapLimits,
}

/// What IMAP connections may do: plaintext or not, and how long the server may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImapLimits {
    /// `IMAP_ALLOW_PLAINTEXT` (default false): accounts with `security: none` (password sent in clear)
    /// may be created and synced.
    pub allow_plaintext: bool,
    /// `IMAP_CONNECT_TIMEOUT_MS` (default 30 s): connect, TLS, greeting and login together.
    pub connect_timeout: Duration,
    /// `IMAP_COMMAND_TIMEOUT_SECS` (default 300 s): the longest one command's answer may take to arrive
    /// (a server that drips bytes is cut off there).
    pub command_timeout: Duration,
}

impl Default for ImapLimits {
    fn default() -> Self {
        Self {
            allow_plaintext: false,
            connect_timeout: Duration::from_secs(30),
            command_timeout: Duration::from_secs(300),
        }
    }
}

impl ImapLimits {
    /// Reads `IMAP_ALLOW_PLAINTEXT`, `IMAP_CONNECT_TIMEOUT_MS`, `IMAP_COMMAND_TIMEOUT_SECS`.
    pub fn from_env(env: &EnvSource) -> Result<Self, ConfigError> {
        Ok(Self {
            allow_plaintext: env.bool_or("IMAP_ALLOW_PLAINTEXT", false)?,
            connect_timeout: Duration::from_millis(env.parse_in(
                "IMAP_CONNECT_TIMEOUT_MS",
                30_000,
                100..=600_000,
            )?),
            command_timeout: Duration::from_secs(env.parse_in(
                "IMAP_COMMAND_TIMEOUT_SECS",
                300,
                1..=86_400,
            )?),
        })
    }
}

impl MailConfig {
    /// Reads the mail settings; a key that is set but not 32 bytes of hex/base64 stops the boot.
    pub fn from_env(env: &EnvSource) -> Result<Self, ConfigError> {
        let secrets = match env.get("MAIL_ENCRYPTION_KEY") {
            Some(v) if !v.trim().is_empty() => Some(
                SecretBox::from_encoded_key(&v)
                    .map_err(|e| env.invalid("MAIL_ENCRYPTION_KEY", e))?,
            ),
            _ => None,
        };
        Ok(Self {
            secrets,
            max_bytes: env.parse_in("MAIL_MAX_BYTES", 25 * 1_048_576, 1_024..=1 << 32)?,
            retention_days: env.parse_in("MAIL_RETENTION_DAYS", 365, 1..=36_500)?,
            import_dir: env
                .get("MAIL_IMPORT_DIR")
                .filter(|v| !v.trim().is_empty())
                .map(PathBuf::from),
            tls_extra_roots: match env.get("MAIL_TLS_CA_FILE") {
                Some(path) if !path.trim().is_empty() => {
                    read_ca_file(path.trim()).map_err(|e| env.invalid("MAIL_TLS_CA_FILE", e))?
                }
                _ => Vec::new(),
            },
            imap: ImapLimits::from_env(env)?,
        })
    }

    /// The secret box, or an error naming the missing variable.
    pub fn require_secrets(&self) -> Result<&SecretBox, ConfigError> {
        self.secrets.as_ref().ok_or_else(|| ConfigError::Missing {
            name: "MAIL_ENCRYPTION_KEY".to_owned(),
        })
    }
}

/// The certificates of a PEM file (at least one).
fn read_ca_file(path: &str) -> Result<Vec<Vec<u8>>, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read {path}: {e}"))?
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{path} is not a PEM certificate file: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{path} holds no certificate"));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use super::*;

    #[test]
    fn tls_ca_file_must_hold_certificates() {
        let dir = std::env::temp_dir().join(format!("crm-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let garbage = dir.join("garbage.pem");
        std::fs::write(&garbage, "not a certificate\n").unwrap();
        for path in [dir.join("missing.pem"), garbage] {
            let err = MailConfig::from_env(&EnvSource::from_pairs(&[(
                "MAIL_TLS_CA_FILE",
                path.to_str().unwrap(),
            )]))
            .unwrap_err();
            assert!(
                err.to_string().starts_with("MAIL_TLS_CA_FILE is invalid"),
                "{err}"
            );
        }
        std::fs::remove_dir_all(&dir).ok();
        assert!(
            MailConfig::from_env(&EnvSource::from_pairs(&[("MAIL_TLS_CA_FILE", " ")]))
                .unwrap()
                .tls_extra_roots
                .is_empty()
        );
    }

    #[test]
    fn defaults_and_bad_key_named() {
        let c = MailConfig::from_env(&EnvSource::from_pairs(&[])).unwrap();
        assert!(c.secrets.is_none());
        assert_eq!(c.max_bytes, 25 * 1_048_576);
        assert!(
            c.require_secrets()
                .unwrap_err()
                .to_string()
                .contains("MAIL_ENCRYPTION_KEY")
        );
        let err = MailConfig::from_env(&EnvSource::from_pairs(&[("MAIL_ENCRYPTION_KEY", "abc")]))
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("MAIL_ENCRYPTION_KEY is invalid"),
            "{err}"
        );
        let ok = MailConfig::from_env(&EnvSource::from_pairs(&[(
            "MAIL_ENCRYPTION_KEY",
            &"ab".repeat(32),
        )]))
        .unwrap();
        assert!(ok.secrets.is_some());
    }
}
