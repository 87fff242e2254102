//! Keyed hashes (HMAC-SHA-256) of identifiers that must be matched without being stored: the caller's IP
//! in the access log, the identifiers of an erased subject in the erasure ledger, and the signature of
//! export download links. One key (`RGPD_HASH_KEY`, or derived from `MAIL_ENCRYPTION_KEY`), one purpose
//! label per use so the same input never hashes the same in two places.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What a hash is for; part of the hashed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An IP address of the access log.
    ClientIp,
    /// An identifier (email, phone, name) of an erased subject, in the erasure ledger.
    ErasedIdentifier,
    /// The signature of an export download link.
    DownloadLink,
    /// A campaign recipient's address, as the suppression list and the send records keep it.
    MailAddress,
    /// The signature of a campaign link (unsubscribe, open pixel, click redirect).
    CampaignLink,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::ClientIp => b"crm/access-log/ip/v1",
            Purpose::ErasedIdentifier => b"crm/erasure-ledger/identifier/v1",
            Purpose::DownloadLink => b"crm/rgpd/download-link/v1",
            Purpose::MailAddress => b"crm/campaigns/address/v1",
            Purpose::CampaignLink => b"crm/campaigns/link/v1",
        }
    }
}

/// Hashes with one secret key. `Debug` shows nothing of the key.
#[derive(Clone)]
pub struct KeyedHasher {
    key: [u8; 32],
}

impl std::fmt::Debug for KeyedHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyedHasher(<redacted>)")
    }
}

impl KeyedHasher {
    /// A hasher on a 32-byte key.
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// A hasher whose key is derived from another secret (the mail encryption key): HMAC of a fixed label
    /// under it, so the derived key reveals nothing of the secret.
    pub fn derived_from(secret: &[u8]) -> Self {
        let mut mac = mac(secret);
        mac.update(b"crm/rgpd-hash-key/v1");
        Self::new(mac.finalize().into_bytes().into())
    }

    /// A random key for this process only: hashes are then comparable within the process lifetime.
    pub fn ephemeral() -> Self {
        Self::new(rand::random())
    }

    /// Lower-case hex of HMAC-SHA-256(key, purpose label || 0 || input).
    pub fn hash(&self, purpose: Purpose, input: &[u8]) -> String {
        let mut mac = mac(&self.key);
        mac.update(purpose.label());
        mac.update(&[0]);
        mac.update(input);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Constant-time check of a hex hash made by [`KeyedHasher::hash`].
    pub fn verify(&self, purpose: Purpose, input: &[u8], expected_hex: &str) -> bool {
        let Ok(expected) = hex::decode(expected_hex) else {
            return false;
        };
        let mut mac = mac(&self.key);
        mac.update(purpose.label());
        mac.update(&[0]);
        mac.update(input);
        mac.verify_slice(&expected).is_ok()
    }
}

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length.
    <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_separate_and_verify_checks() {
        let h = KeyedHasher::new([7; 32]);
        let a = h.hash(Purpose::ClientIp, b"192.0.2.1");
        assert_ne!(a, h.hash(Purpose::ErasedIdentifier, b"192.0.2.1"));
        assert_eq!(a, h.hash(Purpose::ClientIp, b"192.0.2.1"));
        assert_eq!(a.len(), 64);
        assert!(h.verify(Purpose::ClientIp, b"192.0.2.1", &a));
        assert!(!h.verify(Purpose::ClientIp, b"192.0.2.2", &a));
        assert!(!h.verify(Purpose::ClientIp, b"192.0.2.1", "zz"));
        assert_ne!(
            a,
            KeyedHasher::new([8; 32]).hash(Purpose::ClientIp, b"192.0.2.1")
        );
        let d = KeyedHasher::derived_from(b"secret");
        assert_eq!(
            d.hash(Purpose::ClientIp, b"x"),
            KeyedHasher::derived_from(b"secret").hash(Purpose::ClientIp, b"x")
        );
    }
}
