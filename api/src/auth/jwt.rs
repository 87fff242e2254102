//! HS256 JSON Web Tokens: claims `sub` (user id), `role`, `iat`, `exp`, `jti` and `ver` (the user's token
//! version when the token was issued; the extractor refuses a token whose version is no longer current).

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
    /// The user's token version at issue (tokens issued before versions existed count as version 0).
    #[serde(default)]
    pub ver: i32,
}

/// Seconds of clock skew tolerated on `exp` and on an `iat` in the future.
const LEEWAY_SECS: u64 = 5;

/// Why a token is refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("invalid token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    /// `iat` is later than now (plus the leeway): not a token this server issued.
    #[error("token issued in the future")]
    IssuedInTheFuture,
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
        validation.leeway = LEEWAY_SECS;
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            ttl,
        }
    }

    /// Signs a token for `user` valid for `JWT_TTL_SECS`, under the user's current token `version`.
    pub fn issue(
        &self,
        user: UserId,
        role: Role,
        version: i32,
    ) -> Result<IssuedToken, jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(3_600);
        let claims = Claims {
            sub: user.to_string(),
            role,
            iat: now,
            exp: now + ttl,
            jti: ulid::Ulid::new().to_string(),
            ver: version,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(IssuedToken {
            token,
            expires_in: self.ttl.as_secs(),
        })
    }

    /// Checks the signature, the algorithm, the expiry and that `iat` is not in the future, and returns the
    /// claims.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let claims =
            jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?.claims;
        let latest = chrono::Utc::now().timestamp() + LEEWAY_SECS as i64;
        if claims.iat > latest {
            return Err(TokenError::IssuedInTheFuture);
        }
        Ok(claims)
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
        let t = k.issue(UserId(42), Role::Manager, 3).unwrap();
        assert_eq!(t.expires_in, 60);
        let c = k.verify(&t.token).unwrap();
        assert_eq!(c.sub, "42");
        assert_eq!(c.role, Role::Manager);
        assert_eq!(c.exp - c.iat, 60);
        assert_eq!(c.ver, 3);
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
            ver: 0,
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &k.encoding).unwrap();
        assert!(k.verify(&token).is_err());
    }

    #[test]
    fn tokens_issued_in_the_future_are_refused_beyond_the_leeway() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let now = chrono::Utc::now().timestamp();
        let sign = |iat: i64| {
            let claims = Claims {
                sub: "1".into(),
                role: Role::Admin,
                iat,
                exp: iat + 3_600,
                jti: "x".into(),
                ver: 0,
            };
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &k.encoding).unwrap()
        };
        assert!(matches!(
            k.verify(&sign(now + 600)),
            Err(TokenError::IssuedInTheFuture)
        ));
        assert!(k.verify(&sign(now + 2)).is_ok(), "within the leeway");
        assert!(k.verify(&sign(now - 10)).is_ok());
    }

    #[test]
    fn tokens_without_a_version_count_as_version_zero() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let now = chrono::Utc::now().timestamp();
        let old = serde_json::json!({ "sub": "7", "role": "user", "iat": now, "exp": now + 60, "jti": "x" });
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &old, &k.encoding).unwrap();
        assert_eq!(k.verify(&token).unwrap().ver, 0);
    }
}
