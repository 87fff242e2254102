//! DKIM signing of outgoing mail (RFC 6376) with lettre's signer: `DKIM_DOMAIN`, `DKIM_SELECTOR` and
//! `DKIM_PRIVATE_KEY_FILE`, read once at boot, all three or none.
//!
//! The key file is PEM: RSA as PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`), at least
//! 1024 bits and 2048 advised (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`), or Ed25519
//! as PKCS#8 (`openssl genpkey -algorithm ED25519`, RFC 8463). Encrypted keys are refused. Prefer RSA:
//! lettre adds one signature only, and not every receiver verifies Ed25519 yet. Publish
//! [`DkimSigner::dns_txt_record`] as TXT at [`DkimSigner::dns_name`].

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lettre::Message;
use lettre::message::Body;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::{self, ContentTransferEncoding, HeaderName, HeaderValue, Headers};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, LineEnding};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use shared::config::{ConfigError, EnvSource};

/// Header fields the signature covers. A listed field the message lacks is signed as absent, so it
/// cannot be added in transit either. RFC 8058 section 4 requires both unsubscribe fields.
pub const SIGNED_HEADERS: &[&str] = &[
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

const DOMAIN: &str = "DKIM_DOMAIN";
const SELECTOR: &str = "DKIM_SELECTOR";
const KEY_FILE: &str = "DKIM_PRIVATE_KEY_FILE";

/// The key's algorithm (`a=rsa-sha256` or `a=ed25519-sha256`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DkimAlgorithm {
    Rsa,
    Ed25519,
}

/// Signs messages for one domain and selector, relaxed/relaxed. Cheap to clone; its `Debug` never
/// shows the key.
#[derive(Clone)]
pub struct DkimSigner {
    domain: String,
    selector: String,
    algorithm: DkimAlgorithm,
    txt_record: String,
    config: Arc<DkimConfig>,
}

impl fmt::Debug for DkimSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DkimSigner")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("algorithm", &self.algorithm)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl DkimSigner {
    /// `None` when none of the three variables is set. A partial setting is an error naming the missing
    /// variable; an unreadable or invalid key one naming `DKIM_PRIVATE_KEY_FILE` (never quoting the file).
    pub fn from_env(env: &EnvSource) -> Result<Option<Self>, ConfigError> {
        let set = |name: &str| env.get(name).is_some_and(|v| !v.trim().is_empty());
        if ![DOMAIN, SELECTOR, KEY_FILE].into_iter().any(set) {
            return Ok(None);
        }
        let domain = dns_name(env, DOMAIN, 2)?;
        let selector = dns_name(env, SELECTOR, 1)?;
        let path = env.required(KEY_FILE)?;
        let pem = std::fs::read_to_string(path.trim())
            .map(SecretString::from)
            .map_err(|e| env.invalid(KEY_FILE, format!("cannot read the key file: {e}")))?;
        let key = SigningKey::from_pem(pem.expose_secret())
            .map_err(|reason| env.invalid(KEY_FILE, reason))?;
        let headers = SIGNED_HEADERS
            .iter()
            .copied()
            .map(HeaderName::new_from_ascii_str)
            .collect();
        let relaxed = DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        };
        let config = DkimConfig::new(
            selector.clone(),
            domain.clone(),
            key.lettre,
            headers,
            relaxed,
        );
        Ok(Some(Self {
            domain,
            selector,
            algorithm: key.algorithm,
            txt_record: key.txt_record,
            config: Arc::new(config),
        }))
    }

    /// The signing domain (`d=`), lowercase.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The selector (`s=`), lowercase.
    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// The key's algorithm, from the key file.
    pub fn algorithm(&self) -> DkimAlgorithm {
        self.algorithm
    }

    /// Where the public key is published: `<selector>._domainkey.<domain>`.
    pub fn dns_name(&self) -> String {
        format!("{}._domainkey.{}", self.selector, self.domain)
    }

    /// The TXT record to publish at [`Self::dns_name`]: `v=DKIM1; k=rsa; p=…` (or `k=ed25519`).
    pub fn dns_txt_record(&self) -> &str {
        &self.txt_record
    }

    /// Adds the `DKIM-Signature` field; call it last, once every header field and the body are final.
    /// The bytes sent are otherwise unchanged.
    pub fn sign(&self, message: &mut Message) {
        hoist_body_headers(message);
        message.sign(&self.config);
    }
}

/// lettre's signer only sees the message's own header fields, but a MIME body keeps its
/// `Content-Type` (and `Content-Transfer-Encoding`) in the body part: it would list `content-type` in
/// `h=` without hashing it, and every verifier would fail the signature. The message is rebuilt with
/// those fields among its own and the part's body as a pre-encoded raw body: the same bytes on the wire.
fn hoist_body_headers(message: &mut Message) {
    let own = message.headers().to_string();
    let formatted = message.formatted();
    let Some(rest) = formatted.strip_prefix(own.as_bytes()) else {
        return;
    };
    // A raw body (`MessageBuilder::body`) starts at once with the blank line: nothing to hoist.
    if rest.starts_with(b"\r\n") {
        return;
    }
    let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") else {
        return;
    };
    let Ok(part_headers) = std::str::from_utf8(&rest[..end + 2]) else {
        return;
    };
    let Some(fields) = split_fields(part_headers) else {
        return;
    };
    let body = rest[end + 4..].to_vec();
    let Some(from) = message.headers().get::<header::From>() else {
        return;
    };
    let Ok(mut rebuilt) = Message::builder()
        .header(from)
        .envelope(message.envelope().clone())
        .body(Body::dangerous_pre_encoded(
            body,
            ContentTransferEncoding::Binary,
        ))
    else {
        return;
    };
    let mut headers: Headers = message.headers().clone();
    for (name, value) in fields {
        headers.insert_raw(HeaderValue::dangerous_new_pre_encoded(
            name,
            value.replace("\r\n", ""),
            value.to_owned(),
        ));
    }
    *rebuilt.headers_mut() = headers;
    *message = rebuilt;
}

/// `Name: value\r\n` fields (values possibly folded) as (name, value without the final CRLF).
fn split_fields(text: &str) -> Option<Vec<(HeaderName, &str)>> {
    let mut fields = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = rest.find("\r\n")?;
        while rest[end + 2..].starts_with([' ', '\t']) {
            end += 2 + rest[end + 2..].find("\r\n")?;
        }
        let (name, value) = rest[..end].split_once(':')?;
        let value = value.strip_prefix(' ').unwrap_or(value);
        fields.push((HeaderName::new_from_ascii(name.to_owned()).ok()?, value));
        rest = &rest[end + 2..];
    }
    Some(fields)
}

/// The key as lettre takes it, and what to publish.
struct SigningKey {
    lettre: DkimSigningKey,
    algorithm: DkimAlgorithm,
    txt_record: String,
}

impl SigningKey {
    /// Reasons never quote the input.
    fn from_pem(pem: &str) -> Result<Self, &'static str> {
        if pem.contains("ENCRYPTED") {
            return Err(
                "the key is encrypted: give an unencrypted PEM file readable only by this service",
            );
        }
        let rsa = rsa::RsaPrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(pem));
        if let Ok(key) = rsa {
            if key.size() * 8 < 1024 {
                return Err(
                    "the RSA key is shorter than 1024 bits, which receivers refuse (use 2048)",
                );
            }
            let public = rsa::RsaPublicKey::from(&key)
                .to_public_key_der()
                .map_err(|_| "cannot encode the RSA public key")?;
            // lettre reads PKCS#1 only.
            let pkcs1 = key
                .to_pkcs1_pem(LineEnding::LF)
                .map_err(|_| "cannot re-encode the RSA key")?;
            let lettre = DkimSigningKey::new(&pkcs1, DkimSigningAlgorithm::Rsa)
                .map_err(|_| "lettre refuses the RSA key")?;
            return Ok(Self {
                lettre,
                algorithm: DkimAlgorithm::Rsa,
                txt_record: format!("v=DKIM1; k=rsa; p={}", BASE64.encode(public.as_bytes())),
            });
        }
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map_err(|_| "expected a PEM RSA (PKCS#1 or PKCS#8) or Ed25519 (PKCS#8) private key")?;
        // lettre reads an Ed25519 key as the base64 of its 32-byte seed.
        let seed = Zeroizing::new(BASE64.encode(Zeroizing::new(key.to_bytes()).as_slice()));
        let lettre = DkimSigningKey::new(&seed, DkimSigningAlgorithm::Ed25519)
            .map_err(|_| "lettre refuses the Ed25519 key")?;
        Ok(Self {
            lettre,
            algorithm: DkimAlgorithm::Ed25519,
            txt_record: format!(
                "v=DKIM1; k=ed25519; p={}",
                BASE64.encode(key.verifying_key().as_bytes())
            ),
        })
    }
}

/// A lowercase ASCII domain name of at least `min_labels` labels (letters, digits, inner hyphens):
/// anything else could not be looked up, or would break the `DKIM-Signature` tags.
fn dns_name(env: &EnvSource, name: &str, min_labels: usize) -> Result<String, ConfigError> {
    let value = env.required(name)?;
    let value = value.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if value.split('.').count() >= min_labels && value.split('.').all(label_ok) {
        Ok(value)
    } else if min_labels > 1 {
        Err(env.invalid(
            name,
            "expected a domain name like example.com (an IDN in its xn-- form)",
        ))
    } else {
        Err(env.invalid(
            name,
            "expected letters, digits, hyphens and dots, like s2026 or mail.s1",
        ))
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]
    use super::*;

    #[test]
    fn folded_fields_are_split_whole() {
        let fields = split_fields(
            "Content-Type: multipart/alternative;\r\n boundary=\"b\"\r\nContent-Transfer-Encoding: 7bit\r\n",
        )
        .unwrap();
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[0].0.to_string(), "Content-Type");
        assert_eq!(fields[0].1, "multipart/alternative;\r\n boundary=\"b\"");
        assert_eq!(fields[1].1, "7bit");
        assert!(split_fields("no colon\r\n").is_none());
    }

    #[test]
    fn names_are_checked() {
        let env = |d: &str| EnvSource::from_pairs(&[(DOMAIN, d)]);
        assert_eq!(
            dns_name(&env("Mail.Example.COM."), DOMAIN, 2).unwrap(),
            "mail.example.com"
        );
        for bad in [
            "localhost",
            "ex ample.com",
            "a;b=c.com",
            "-x.com",
            "été.fr",
            "a..b",
        ] {
            let e = dns_name(&env(bad), DOMAIN, 2).unwrap_err().to_string();
            assert!(e.starts_with("DKIM_DOMAIN is invalid"), "{bad}: {e}");
        }
    }
}
