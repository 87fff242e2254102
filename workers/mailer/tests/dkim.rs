//! DKIM signing checked by an independent verifier (Stalwart's mail-auth, aws-lc crypto) that finds the
//! public key, made by `openssl pkey -pubout`, in a DNS cache filled by the test: RSA (PKCS#1 and PKCS#8)
//! and Ed25519 keys, multipart and single-body messages, tampering, and a trip through an SMTP server.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use crm_mailer::list_headers::{ListId, ListUnsubscribe, ListUnsubscribePost};
use crm_mailer::{DkimAlgorithm, DkimSigner, Mailer, SmtpConfig};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{MultiPart, SinglePart};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dkim::Canonicalization;
use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
use mail_auth::{
    AuthenticatedMessage, DkimResult, MessageAuthenticator, Parameters, ResolverCache, Txt,
};
use shared::config::EnvSource;
use shared::test_utils::SmtpSink;

const DOMAIN: &str = "crm.test";
const SELECTOR: &str = "s2026";

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn env(domain: Option<&str>, selector: Option<&str>, key: Option<&str>) -> EnvSource {
    let pairs: Vec<(&str, &str)> = [
        ("DKIM_DOMAIN", domain),
        ("DKIM_SELECTOR", selector),
        ("DKIM_PRIVATE_KEY_FILE", key),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    EnvSource::from_pairs(&pairs)
}

fn signer(key_file: &str) -> DkimSigner {
    let path = data(key_file);
    DkimSigner::from_env(&env(
        Some(DOMAIN),
        Some(SELECTOR),
        Some(path.to_str().unwrap()),
    ))
    .unwrap()
    .unwrap()
}

/// The record an operator would publish, from openssl's public key file: `p=` is the
/// SubjectPublicKeyInfo for RSA and the bare 32-byte key for Ed25519 (RFC 8463).
fn published_record(public_pem: &str) -> String {
    let pem = std::fs::read_to_string(data(public_pem)).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = BASE64.decode(&b64).unwrap();
    if public_pem.starts_with("ed25519") {
        format!(
            "v=DKIM1; k=ed25519; p={}",
            BASE64.encode(&der[der.len() - 32..])
        )
    } else {
        format!("v=DKIM1; k=rsa; p={b64}")
    }
}

/// A DNS cache holding one TXT record; the resolver behind it has no name server, so a miss fails
/// instead of going to the network.
struct OneRecord(HashMap<Box<str>, Txt>);

impl ResolverCache<Box<str>, Txt> for OneRecord {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.get(name).cloned()
    }

    fn remove<Q>(&self, _: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }

    fn insert(&self, _: Box<str>, _: Txt, _: Instant) {}
}

/// What the verifier says of each signature: the result, `h=`, and `c=`.
type Verdict = (
    DkimResult,
    Vec<String>,
    (Canonicalization, Canonicalization),
);

async fn verify(raw: &[u8], txt_record: &str) -> Vec<Verdict> {
    let key = DomainKey::parse(txt_record.as_bytes()).unwrap();
    let cache = OneRecord(HashMap::from([(
        format!("{SELECTOR}._domainkey.{DOMAIN}.").into_boxed_str(),
        Txt::from(key),
    )]));
    let resolver = MessageAuthenticator::new(
        ResolverConfig::from_name_servers(Vec::new()),
        ResolverOpts::default(),
    )
    .unwrap();
    let message = AuthenticatedMessage::parse(raw).unwrap();
    let outputs = resolver
        .verify_dkim(Parameters::new(&message).with_txt_cache(&cache))
        .await;
    outputs
        .iter()
        .map(|o| {
            let sig = o.signature().unwrap();
            (o.result().clone(), sig.h.clone(), (sig.ch, sig.cb))
        })
        .collect()
}

fn date() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000)
}

/// A campaign mail as the campaign worker builds it: text and HTML alternatives, list fields, a
/// non-ASCII subject (RFC 2047) and a long unsubscribe URL.
fn campaign_message() -> Message {
    Message::builder()
        .from("Équipe CRM <news@crm.test>".parse().unwrap())
        .to("Alice Dupont <alice@example.org>".parse().unwrap())
        .subject("Nouveautés de décembre : l'agenda partagé")
        .date(date())
        .message_id(Some("<c42.r7@crm.test>".into()))
        .header(ListId("Lettre d'information <newsletter.crm.test>".into()))
        .header(ListUnsubscribe::from_uris([
            "https://crm.test/unsubscribe/01JEXAMPLE0000000000000000/7d3f0a9c2b1e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c",
            "mailto:unsubscribe@crm.test?subject=01JEXAMPLE0000000000000000",
        ]))
        .header(ListUnsubscribePost)
        .multipart(MultiPart::alternative_plain_html(
            "Bonjour Alice,\n\n.Une ligne qui commence par un point.\nÀ bientôt  \n\n\n".to_owned(),
            "<p>Bonjour Alice,</p>\n<p>À bientôt</p>\n".to_owned(),
        ))
        .unwrap()
}

fn plain_message() -> Message {
    Message::builder()
        .from("news@crm.test".parse().unwrap())
        .to("bob@example.org".parse().unwrap())
        .subject("Plain")
        .date(date())
        .message_id(Some("<p1@crm.test>".into()))
        .header(ListUnsubscribe::from_uris(["https://crm.test/u/p1"]))
        .header(ListUnsubscribePost)
        .header(ContentType::TEXT_PLAIN)
        .body("Texte brut\r\n\r\n".to_owned())
        .unwrap()
}

fn single_part_message() -> Message {
    Message::builder()
        .from("news@crm.test".parse().unwrap())
        .to("carol@example.org".parse().unwrap())
        .subject("Single part")
        .header(ListUnsubscribe::from_uris(["https://crm.test/u/s1"]))
        .header(ListUnsubscribePost)
        .singlepart(SinglePart::html("<p>Été</p>".to_owned()))
        .unwrap()
}

fn without_signature(message: &Message) -> Vec<u8> {
    let mut copy = message.clone();
    copy.headers_mut().remove_raw("DKIM-Signature");
    copy.formatted()
}

#[tokio::test]
async fn rsa_and_ed25519_signatures_verify_and_cover_the_list_fields() {
    for (key, public, algorithm) in [
        ("rsa2048.pem", "rsa2048.pub.pem", DkimAlgorithm::Rsa),
        ("rsa2048-pkcs1.pem", "rsa2048.pub.pem", DkimAlgorithm::Rsa),
        ("ed25519.pem", "ed25519.pub.pem", DkimAlgorithm::Ed25519),
    ] {
        let signer = signer(key);
        let record = published_record(public);
        assert_eq!(signer.algorithm(), algorithm);
        assert_eq!(signer.dns_txt_record(), record, "{key}");
        assert_eq!(signer.dns_name(), "s2026._domainkey.crm.test");
        for build in [campaign_message, plain_message, single_part_message] {
            let mut message = build();
            let unsigned = message.formatted();
            signer.sign(&mut message);
            assert_eq!(
                without_signature(&message),
                unsigned,
                "{key}: signing changes nothing else on the wire"
            );
            let raw = message.formatted();
            let verdicts = verify(&raw, &record).await;
            assert_eq!(verdicts.len(), 1, "{key}: one signature");
            let (result, h, c) = &verdicts[0];
            assert_eq!(
                result,
                &DkimResult::Pass,
                "{key}:\n{}",
                String::from_utf8_lossy(&raw)
            );
            for field in [
                "from",
                "to",
                "subject",
                "date",
                "message-id",
                "mime-version",
                "content-type",
                "list-id",
                "list-unsubscribe",
                "list-unsubscribe-post",
            ] {
                assert!(
                    h.iter().any(|n| n == field),
                    "{key}: h= lacks {field}: {h:?}"
                );
            }
            assert_eq!(
                c,
                &(Canonicalization::Relaxed, Canonicalization::Relaxed),
                "{key}"
            );
        }
    }
}

#[tokio::test]
async fn changing_a_signed_field_after_signing_fails_verification() {
    let signer = signer("rsa2048.pem");
    let record = published_record("rsa2048.pub.pem");
    let mut signed = campaign_message();
    signer.sign(&mut signed);

    let mut redirected = signed.clone();
    redirected.headers_mut().set(ListUnsubscribe::from_uris([
        "https://evil.test/unsubscribe",
    ]));
    let verdicts = verify(&redirected.formatted(), &record).await;
    assert!(
        matches!(verdicts[0].0, DkimResult::Fail(_)),
        "{:?}",
        verdicts[0].0
    );

    let mut no_one_click = signed.clone();
    no_one_click
        .headers_mut()
        .remove_raw("List-Unsubscribe-Post");
    let verdicts = verify(&no_one_click.formatted(), &record).await;
    assert!(matches!(verdicts[0].0, DkimResult::Fail(_)));

    // A field the message lacked is signed as absent: adding one breaks the signature too.
    let mut with_reply_to = signed.clone();
    with_reply_to
        .headers_mut()
        .set(lettre::message::header::ReplyTo::from(
            "Mallory <m@evil.test>"
                .parse::<lettre::message::Mailboxes>()
                .unwrap(),
        ));
    let verdicts = verify(&with_reply_to.formatted(), &record).await;
    assert!(matches!(verdicts[0].0, DkimResult::Fail(_)));

    let raw = String::from_utf8(signed.formatted()).unwrap();
    let edited = raw.replacen("Bonjour Alice", "Bonjour Alicia", 1);
    assert_ne!(raw, edited);
    let verdicts = verify(edited.as_bytes(), &record).await;
    assert_ne!(verdicts[0].0, DkimResult::Pass, "the body is signed too");

    let verdicts = verify(
        signed.formatted().as_slice(),
        &published_record("ed25519.pub.pem"),
    )
    .await;
    assert_ne!(
        verdicts[0].0,
        DkimResult::Pass,
        "another key does not verify it"
    );
}

#[tokio::test]
async fn a_signed_message_still_verifies_after_the_smtp_trip() {
    let sink = SmtpSink::start().await;
    let config = SmtpConfig::from_env(&EnvSource::from_pairs(&[
        ("SMTP_URL", &sink.url()),
        ("SMTP_ALLOW_PLAINTEXT", "true"),
        ("SMTP_FROM", "CRM <news@crm.test>"),
    ]))
    .unwrap()
    .unwrap();
    let policy = egress::EgressPolicy::parse_allow_list("127.0.0.1/32").unwrap();
    let mailer = Mailer::connect(&config, &policy).await.unwrap();
    let mut message = campaign_message();
    signer("rsa2048.pem").sign(&mut message);
    mailer.send(message).await.unwrap();

    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert!(
        received[0]
            .data
            .contains("\r\n.Une ligne qui commence par un point.\r\n"),
        "the dot-stuffed line came back unstuffed: {}",
        received[0].data
    );
    let verdicts = verify(
        received[0].data.as_bytes(),
        &published_record("rsa2048.pub.pem"),
    )
    .await;
    assert_eq!(verdicts.len(), 1);
    assert_eq!(verdicts[0].0, DkimResult::Pass, "{}", received[0].data);
}

#[test]
fn unset_is_off_and_a_partial_setting_names_what_is_missing() {
    assert!(
        DkimSigner::from_env(&env(None, None, None))
            .unwrap()
            .is_none()
    );
    assert!(
        DkimSigner::from_env(&env(Some(" "), Some(""), None))
            .unwrap()
            .is_none(),
        "blank is unset"
    );
    let key = data("rsa2048.pem");
    let key = key.to_str().unwrap();
    for (vars, missing) in [
        (env(Some(DOMAIN), None, None), "DKIM_SELECTOR"),
        (env(None, Some(SELECTOR), Some(key)), "DKIM_DOMAIN"),
        (
            env(Some(DOMAIN), Some(SELECTOR), None),
            "DKIM_PRIVATE_KEY_FILE",
        ),
        (env(None, None, Some(key)), "DKIM_DOMAIN"),
    ] {
        let e = DkimSigner::from_env(&vars).unwrap_err().to_string();
        assert_eq!(e, format!("{missing} is required but not set"));
    }
    let e = DkimSigner::from_env(&env(Some("crm.test; x=1"), Some(SELECTOR), Some(key)))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("DKIM_DOMAIN is invalid"), "{e}");
    let e = DkimSigner::from_env(&env(Some(DOMAIN), Some("s 1"), Some(key)))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("DKIM_SELECTOR is invalid"), "{e}");
}

#[test]
fn bad_key_files_are_refused_without_quoting_them() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let public = std::fs::read_to_string(data("rsa2048.pub.pem")).unwrap();
    let private = std::fs::read_to_string(data("rsa2048-pkcs1.pem")).unwrap();
    let truncated: String = private.lines().take(8).collect::<Vec<_>>().join("\n");
    let cases = [
        (
            dir.path().join("absent.pem").to_str().unwrap().to_owned(),
            "cannot read",
        ),
        (write("garbage.pem", "not a key at all\n"), "expected a PEM"),
        (write("public.pem", &public), "expected a PEM"),
        (write("truncated.pem", &truncated), "expected a PEM"),
        (
            write(
                "encrypted.pem",
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n",
            ),
            "encrypted",
        ),
        (
            data("rsa512.pem").to_str().unwrap().to_owned(),
            "shorter than 1024 bits",
        ),
    ];
    for (path, reason) in cases {
        let e = DkimSigner::from_env(&env(Some(DOMAIN), Some(SELECTOR), Some(&path)))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("DKIM_PRIVATE_KEY_FILE is invalid") && e.contains(reason),
            "{path}: {e}"
        );
        for line in public.lines().chain(private.lines()).skip(1).take(5) {
            assert!(!e.contains(line), "{e}");
        }
        assert!(!e.contains("MIIF") && !e.contains("not a key"), "{e}");
    }
}

#[test]
fn debug_never_shows_the_key() {
    for key in ["rsa2048.pem", "ed25519.pem"] {
        let shown = format!("{:?}", signer(key));
        let algorithm = if key.starts_with("rsa") {
            "Rsa"
        } else {
            "Ed25519"
        };
        assert_eq!(
            shown,
            format!(
                "DkimSigner {{ domain: \"crm.test\", selector: \"s2026\", algorithm: {algorithm}, key: \"[redacted]\" }}"
            )
        );
    }
}
