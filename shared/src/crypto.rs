//! Secrets at rest: AES-256-GCM under the key of `MAIL_ENCRYPTION_KEY`. A sealed value is
//! `nonce (12 bytes) || ciphertext || tag (16 bytes)`, a fresh random nonce per encryption.

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

const NONCE_LEN: usize = 12;

/// Why a key or a sealed value was refused. Never carries key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the key must be 32 bytes given as 64 hex digits or base64 (got {0} bytes)")]
    KeyLength(usize),
    #[error("the key is neither hex nor base64")]
    KeyEncoding,
    #[error("sealed value too short")]
    Truncated,
    /// Wrong key, or the value was altered.
    #[error("decryption failed (wrong MAIL_ENCRYPTION_KEY or altered data)")]
    Decrypt,
    #[error("decrypted secret is not UTF-8")]
    NotUtf8,
}

/// Encrypts and decrypts secrets with one AES-256-GCM key. `Debug` shows nothing of the key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<redacted>)")
    }
}

impl SecretBox {
    /// A box from a key written as 64 hex digits or as base64 (standard or URL-safe, padded or not) of
    /// 32 bytes.
    pub fn from_encoded_key(encoded: &str) -> Result<Self, CryptoError> {
        let key = decode_key(encoded.trim())?;
        Self::from_key_bytes(&key)
    }

    /// A box from the raw 32-byte key.
    pub fn from_key_bytes(key: &[u8]) -> Result<Self, CryptoError> {
        let cipher =
            Aes256Gcm::new_from_slice(key).map_err(|_| CryptoError::KeyLength(key.len()))?;
        Ok(Self { cipher })
    }

    /// A new random key, base64-encoded (what `.env.example` asks for).
    pub fn generate_key() -> String {
        let key = Aes256Gcm::generate_key(OsRng);
        base64::engine::general_purpose::STANDARD.encode(key)
    }

    /// Seals `plaintext`: nonce || ciphertext+tag.
    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(OsRng);
        // Encryption only fails for inputs beyond GCM's 64 GiB limit, far above any secret.
        let sealed = self.cipher.encrypt(&nonce, plaintext).unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Seals a text secret.
    pub fn encrypt_str(&self, secret: &SecretString) -> Vec<u8> {
        self.encrypt(secret.expose_secret().as_bytes())
    }

    /// Opens a sealed value.
    pub fn decrypt(&self, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Truncated);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| CryptoError::Decrypt)
    }

    /// Opens a sealed text secret.
    pub fn decrypt_str(&self, sealed: &[u8]) -> Result<SecretString, CryptoError> {
        let bytes = self.decrypt(sealed)?;
        let text = String::from_utf8(bytes).map_err(|_| CryptoError::NotUtf8)?;
        Ok(SecretString::from(text))
    }
}

pub(crate) fn decode_key(encoded: &str) -> Result<Vec<u8>, CryptoError> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    if encoded.len() == 64 && encoded.chars().all(|c| c.is_ascii_hexdigit()) {
        return hex::decode(encoded).map_err(|_| CryptoError::KeyEncoding);
    }
    let key = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(encoded).ok())
        .ok_or(CryptoError::KeyEncoding)?;
    if key.len() != 32 {
        return Err(CryptoError::KeyLength(key.len()));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use super::*;

    #[test]
    fn round_trip_with_fresh_nonces() {
        let b = SecretBox::from_encoded_key(&SecretBox::generate_key()).unwrap();
        let s1 = b.encrypt(b"hunter2");
        let s2 = b.encrypt(b"hunter2");
        assert_ne!(s1, s2, "nonces must differ");
        assert_eq!(b.decrypt(&s1).unwrap(), b"hunter2");
        assert!(!s1.windows(7).any(|w| w == b"hunter2"));
    }

    #[test]
    fn hex_and_base64_keys_are_the_same_key() {
        let raw = [7u8; 32];
        let h = SecretBox::from_encoded_key(&hex::encode(raw)).unwrap();
        let b = SecretBox::from_encoded_key(&base64::engine::general_purpose::STANDARD.encode(raw))
            .unwrap();
        assert_eq!(h.decrypt(&b.encrypt(b"x")).unwrap(), b"x");
    }

    #[test]
    fn wrong_key_short_key_and_tampering_are_refused() {
        let a = SecretBox::from_key_bytes(&[1; 32]).unwrap();
        let b = SecretBox::from_key_bytes(&[2; 32]).unwrap();
        let mut sealed = a.encrypt(b"token");
        assert_eq!(b.decrypt(&sealed), Err(CryptoError::Decrypt));
        sealed[NONCE_LEN] ^= 1;
        assert_eq!(a.decrypt(&sealed), Err(CryptoError::Decrypt));
        assert_eq!(a.decrypt(&[0; 5]), Err(CryptoError::Truncated));
        assert_eq!(
            SecretBox::from_encoded_key("c2hvcnQ=").unwrap_err(),
            CryptoError::KeyLength(5)
        );
        assert_eq!(
            SecretBox::from_encoded_key("not a key!").unwrap_err(),
            CryptoError::KeyEncoding
        );
        assert_eq!(format!("{a:?}"), "SecretBox(<redacted>)");
    }
}
