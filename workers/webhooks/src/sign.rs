//! Standard Webhooks 1.0 signatures: `v1,` + base64 of HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`,
//! keyed by the secret's bytes (`whsec_` + base64). Several signatures are sent space-separated while a
//! rotated secret still signs.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of secrets in the Standard Webhooks format.
pub const SECRET_PREFIX: &str = "whsec_";

/// A signing key. `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// A secret is not `whsec_` followed by base64 of 24 to 64 bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a webhook secret is `whsec_` followed by base64 of 24 to 64 bytes")]
pub struct BadSecret;

impl SigningKey {
    /// Reads `whsec_<base64>` (the prefix may be left out, as the reference libraries accept).
    pub fn parse(secret: &str) -> Result<Self, BadSecret> {
        let b64 = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
        let bytes = STANDARD.decode(b64).map_err(|_| BadSecret)?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(BadSecret);
        }
        Ok(Self(bytes))
    }

    /// A new random secret (32 bytes), as `whsec_<base64>`.
    pub fn generate() -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
    }

    /// `v1,<base64 signature>` of a message.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(msg_id, timestamp, body)))
    }

    fn mac(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
        // HMAC takes keys of any length: new_from_slice cannot fail for it.
        let mut mac = match HmacSha256::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => return Vec::new(),
        };
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }

    /// True when `header` (space-separated `v1,<sig>` items) holds this key's signature of the message
    /// (constant-time comparison). For receivers and tests; the platform only signs.
    pub fn verify(&self, header: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> bool {
        let Ok(mut mac) = HmacSha256::new_from_slice(&self.0) else {
            return false;
        };
        mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
        mac.update(body);
        header.split(' ').any(|item| {
            item.strip_prefix("v1,")
                .and_then(|b64| STANDARD.decode(b64).ok())
                .is_some_and(|sig| mac.clone().verify_slice(&sig).is_ok())
        })
    }
}

/// The `webhook-signature` header: one signature per key, space-separated.
pub fn signature_header(keys: &[SigningKey], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|k| k.sign(msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]
    use super::*;

    /// The specification's published test vector: a receiver's Standard Webhooks library accepts what we
    /// send only if this matches byte for byte.
    #[test]
    fn the_specification_test_vector_is_reproduced() {
        let key = SigningKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = key.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn rotation_sends_both_signatures_and_each_verifies() {
        let old = SigningKey::parse(&SigningKey::generate()).unwrap();
        let new = SigningKey::parse(&SigningKey::generate()).unwrap();
        let header = signature_header(&[new.clone(), old.clone()], "msg_1", 1_700_000_000, b"{}");
        assert_eq!(header.split(' ').count(), 2);
        assert!(new.verify(&header, "msg_1", 1_700_000_000, b"{}"));
        assert!(old.verify(&header, "msg_1", 1_700_000_000, b"{}"));
        assert!(!new.verify(&header, "msg_1", 1_700_000_001, b"{}"));
        assert!(!new.verify(&header, "msg_1", 1_700_000_000, b"{ }"));
    }

    #[test]
    fn malformed_secrets_are_refused() {
        for bad in ["", "whsec_", "whsec_!!!", "whsec_c2hvcnQ=", "plain text"] {
            assert_eq!(SigningKey::parse(bad), Err(BadSecret), "{bad}");
        }
        assert!(
            format!("{:?}", SigningKey::parse(&SigningKey::generate()).unwrap())
                .contains("redacted")
        );
    }
}
