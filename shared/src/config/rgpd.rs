//! RGPD settings (`RGPD_*`): the hashing key of the access log and the erasure ledger, retention periods,
//! the export link lifetime and the ledger file.

use std::path::PathBuf;
use std::time::Duration;

use super::{ConfigError, EnvSource};
use crate::keyed_hash::KeyedHasher;

/// Data-protection settings, read by the API and the workers.
#[derive(Debug, Clone)]
pub struct RgpdConfig {
    /// `RGPD_HASH_KEY` (32 bytes, hex or base64); unset: derived from `MAIL_ENCRYPTION_KEY`; neither: a
    /// random key per process (hashes are then not comparable across restarts; a warning is logged).
    pub hasher: KeyedHasher,
    /// True when the key is per-process (neither variable set).
    pub ephemeral_key: bool,
    /// `RGPD_INACTIVE_DAYS` (730): users and contacts without activity this long are anonymised weekly.
    pub inactive_days: u32,
    /// `RGPD_ACCESS_LOG_RETENTION_DAYS` (1095): access-log entries older than this are deleted monthly.
    pub access_log_retention_days: u32,
    /// `RGPD_EXPORT_LINK_TTL` in seconds (86400): how long an export's download link works.
    pub export_link_ttl: Duration,
    /// `RGPD_LEDGER_PATH` (`$BACKUP_DIR/erasure-ledger.jsonl`): the erasure ledger file a restore replays.
    pub ledger_path: PathBuf,
    /// `BACKUP_DIR` (`./backups`): where backups (and, by default, the ledger) are written; the API's
    /// detailed health reports its free space.
    pub backup_dir: PathBuf,
    /// `RGPD_EXPORT_ANOMALY_THRESHOLD` (20): exports by one user in a month above which the report flags them.
    pub export_anomaly_threshold: u32,
    /// `RGPD_ANONYMISE_BATCH` (1000): subjects anonymised per transaction by the inactive sweep.
    pub anonymise_batch: u32,
}

impl RgpdConfig {
    /// Reads the RGPD settings.
    pub fn from_env(env: &EnvSource) -> Result<Self, ConfigError> {
        let (hasher, ephemeral_key) = match (
            env.get("RGPD_HASH_KEY").filter(|v| !v.trim().is_empty()),
            env.get("MAIL_ENCRYPTION_KEY")
                .filter(|v| !v.trim().is_empty()),
        ) {
            (Some(raw), _) => {
                let key = crate::crypto::decode_key(raw.trim())
                    .map_err(|e| env.invalid("RGPD_HASH_KEY", e))?;
                let mut bytes = [0_u8; 32];
                bytes.copy_from_slice(&key);
                (KeyedHasher::new(bytes), false)
            }
            (None, Some(mail)) => {
                let key = crate::crypto::decode_key(mail.trim())
                    .map_err(|e| env.invalid("MAIL_ENCRYPTION_KEY", e))?;
                (KeyedHasher::derived_from(&key), false)
            }
            (None, None) => (KeyedHasher::ephemeral(), true),
        };
        let backup_dir = PathBuf::from(env.string_or("BACKUP_DIR", "./backups")?);
        let ledger_path = match env.get("RGPD_LEDGER_PATH").filter(|v| !v.trim().is_empty()) {
            Some(p) => PathBuf::from(p.trim()),
            None => backup_dir.join("erasure-ledger.jsonl"),
        };
        Ok(Self {
            hasher,
            ephemeral_key,
            inactive_days: env.parse_in("RGPD_INACTIVE_DAYS", 730, 30..=36_500)?,
            access_log_retention_days: env.parse_in(
                "RGPD_ACCESS_LOG_RETENTION_DAYS",
                1_095,
                1..=36_500,
            )?,
            export_link_ttl: Duration::from_secs(env.parse_in(
                "RGPD_EXPORT_LINK_TTL",
                86_400,
                60..=30 * 86_400,
            )?),
            ledger_path,
            backup_dir,
            export_anomaly_threshold: env.parse_in(
                "RGPD_EXPORT_ANOMALY_THRESHOLD",
                20,
                1..=100_000,
            )?,
            anonymise_batch: env.parse_in("RGPD_ANONYMISE_BATCH", 1_000, 1..=100_000)?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]
    use super::*;
    use crate::keyed_hash::Purpose;

    #[test]
    fn key_comes_from_the_variable_or_the_mail_key() {
        let hex_key = "11".repeat(32);
        let a =
            RgpdConfig::from_env(&EnvSource::from_pairs(&[("RGPD_HASH_KEY", &hex_key)])).unwrap();
        let b =
            RgpdConfig::from_env(&EnvSource::from_pairs(&[("RGPD_HASH_KEY", &hex_key)])).unwrap();
        assert!(!a.ephemeral_key);
        assert_eq!(
            a.hasher.hash(Purpose::ClientIp, b"x"),
            b.hasher.hash(Purpose::ClientIp, b"x")
        );
        let m = RgpdConfig::from_env(&EnvSource::from_pairs(&[("MAIL_ENCRYPTION_KEY", &hex_key)]))
            .unwrap();
        assert!(!m.ephemeral_key);
        assert_ne!(
            a.hasher.hash(Purpose::ClientIp, b"x"),
            m.hasher.hash(Purpose::ClientIp, b"x")
        );
        let none = RgpdConfig::from_env(&EnvSource::from_pairs(&[])).unwrap();
        assert!(none.ephemeral_key);
        assert_eq!(none.inactive_days, 730);
        assert_eq!(none.access_log_retention_days, 1_095);
        assert!(none.ledger_path.ends_with("erasure-ledger.jsonl"));
        let err = RgpdConfig::from_env(&EnvSource::from_pairs(&[("RGPD_HASH_KEY", "short")]))
            .unwrap_err();
        assert!(err.to_string().contains("RGPD_HASH_KEY"), "{err}");
    }
}
