//! HS256 JSON Web Tokens: claims `sub` (user id), `role`, `iat`, `exp`, `jti`.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use shared::models::UserId;
use shared::models::user::Role;

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a string (RFC 7519).
    pub sub: String,
    /// The role at the time the token was issued (the extractor uses the current one).
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
}

/// A freshly signed token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_in: u64,
}

/// Signing and verification keys derived from `JWT_SECRET`.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl JwtKeys {
    pub fn new(secret: &SecretString, ttl: Duration) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            ttl,
        }
    }

    /// Signs a token for `user` valid for `JWT_TTL_SECS`.
    pub fn issue(
        &self,
        user: UserId,
        role: Role,
    ) -> Result<IssuedToken, jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(3_600);
        let claims = Claims {
            sub: user.to_string(),
            role,
            iat: now,
            exp: now + ttl,
            jti: ulid::Ulid::new().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(IssuedToken {
            token,
            expires_in: self.ttl.as_secs(),
        })
    }

    /// Checks the signature, the algorithm and the expiry, and returns the claims.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use super::*;

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::new(
            &SecretString::from(secret.to_owned()),
            Duration::from_secs(60),
        )
    }

    #[test]
    fn round_trip_and_wrong_secret() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let t = k.issue(UserId(42), Role::Manager).unwrap();
        assert_eq!(t.expires_in, 60);
        let c = k.verify(&t.token).unwrap();
        assert_eq!(c.sub, "42");
        assert_eq!(c.role, Role::Manager);
        assert_eq!(c.exp - c.iat, 60);
        let other = keys("ffffffffffffffffffffffffffffffff");
        assert!(other.verify(&t.token).is_err());
        assert!(k.verify("not.a.token").is_err());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: "1".into(),
            role: Role::Admin,
            iat: now - 120,
            exp: now - 60,
            jti: "x".into(),
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &k.encoding).unwrap();
        assert!(k.verify(&token).is_err());
    }
}
