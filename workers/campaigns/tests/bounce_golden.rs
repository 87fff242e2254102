//! Golden files for bounce reading, in mail-parser's habit: every `tests/data/dsn/<case>.eml` is read as a
//! DSN and as a complaint, with LF and with CRLF line ends, and compared with `<case>.json` beside it; the
//! SendGrid batch `tests/data/sendgrid/events.json` is compared with `events.expected.json`.
//! `UPDATE_GOLDEN=1 cargo test -p crm-campaigns --test bounce_golden` rewrites the expected files.

#![expect(clippy::unwrap_used, reason = "test")]

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crm_campaigns::bounce::BounceKind;
use crm_campaigns::bounce::dsn::{self, DsnAction, DsnRecipient};
use crm_campaigns::bounce::sendgrid::{self, ParseError, SendgridVerifier, SignatureError};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What a golden `.eml` is expected to read as.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct DsnGolden {
    dsn: Option<dsn::Dsn>,
    bounce_kinds: Vec<Option<BounceKind>>,
    complaint: Option<dsn::Complaint>,
}

/// What the golden SendGrid batch is expected to read as.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct EventsGolden {
    events: Vec<sendgrid::ProviderEvent>,
    skipped: usize,
}

fn data_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

/// Compares `actual` with the JSON file, or rewrites the file under `UPDATE_GOLDEN=1`.
fn check_golden<T: Serialize + DeserializeOwned + PartialEq + Debug>(path: &Path, actual: &T) {
    if updating() {
        let json = serde_json::to_string_pretty(actual).unwrap();
        std::fs::write(path, json + "\n").unwrap();
        return;
    }
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    let expected: T = serde_json::from_str(&text).unwrap();
    assert_eq!(&expected, actual, "{} differs", path.display());
}

fn golden_emls() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(data_dir("dsn"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "eml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 8, "golden .eml files are missing");
    paths
}

fn read_as_golden(raw: &[u8]) -> DsnGolden {
    let dsn = dsn::parse(raw);
    let bounce_kinds = dsn
        .iter()
        .flat_map(|d| d.recipients.iter().map(DsnRecipient::bounce_kind))
        .collect();
    DsnGolden {
        dsn,
        bounce_kinds,
        complaint: dsn::parse_complaint(raw),
    }
}

/// The same bytes with every line ending in CRLF.
fn to_crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 40);
    for &byte in raw {
        if byte == b'\n' && out.last() != Some(&b'\r') {
            out.push(b'\r');
        }
        out.push(byte);
    }
    out
}

#[test]
fn dsn_golden_files_read_as_expected_with_lf_and_crlf() {
    for path in golden_emls() {
        let raw = std::fs::read(&path).unwrap();
        let lf = read_as_golden(&raw);
        check_golden(&path.with_extension("json"), &lf);
        let crlf = read_as_golden(&to_crlf(&raw));
        assert_eq!(
            lf,
            crlf,
            "{}: CRLF reads differently from LF",
            path.display()
        );
    }
}

#[test]
fn golden_classification_is_what_the_cases_are_about() {
    let read = |name: &str| read_as_golden(&std::fs::read(data_dir("dsn").join(name)).unwrap());
    assert_eq!(
        read("postfix-hard-5.1.1.eml").bounce_kinds,
        [Some(BounceKind::Hard)]
    );
    assert_eq!(read("postfix-delayed-4.4.1.eml").bounce_kinds, [None]);
    assert_eq!(
        read("exchange-5.1.10.eml").bounce_kinds,
        [Some(BounceKind::Hard)]
    );
    assert_eq!(
        read("gmail-5.2.2.eml").bounce_kinds,
        [Some(BounceKind::Soft)]
    );
    assert_eq!(
        read("two-recipients.eml").bounce_kinds,
        [Some(BounceKind::Hard), None]
    );
    let reply = read("not-a-dsn.eml");
    assert!(reply.dsn.is_none() && reply.complaint.is_none());
    let complaint = read("arf-complaint.eml");
    assert!(complaint.dsn.is_none());
    assert_eq!(
        complaint.complaint.unwrap().original_rcpt_to.as_deref(),
        Some("annoyed.reader@example.net")
    );
}

fn recipient(action: DsnAction, status: &str) -> DsnRecipient {
    DsnRecipient {
        address: "someone@example.net".to_owned(),
        action,
        status: status.to_owned(),
        diagnostic: None,
    }
}

#[test]
fn bounce_kind_follows_the_documented_table() {
    let hard = Some(BounceKind::Hard);
    let soft = Some(BounceKind::Soft);
    let cases = [
        (DsnAction::Failed, "5.0.0", hard),
        (DsnAction::Failed, "5.1.1", hard),
        (DsnAction::Failed, "5.1.2", hard),
        (DsnAction::Failed, "5.1.10", hard),
        (DsnAction::Failed, "5.1.7", soft),
        (DsnAction::Failed, "5.1.8", soft),
        (DsnAction::Failed, "5.2.1", hard),
        (DsnAction::Failed, "5.2.2", soft),
        (DsnAction::Failed, "5.2.3", soft),
        (DsnAction::Failed, "5.3.4", soft),
        (DsnAction::Failed, "5.4.4", hard),
        (DsnAction::Failed, "5.4.7", soft),
        (DsnAction::Failed, "5.5.0", soft),
        (DsnAction::Failed, "5.6.1", soft),
        (DsnAction::Failed, "5.7.1", soft),
        (DsnAction::Failed, "5.7.26", soft),
        (DsnAction::Failed, "4.2.2", soft),
        (DsnAction::Failed, "4.1.1", soft),
        (DsnAction::Failed, "garbage", soft),
        (DsnAction::Delayed, "4.4.1", None),
        (DsnAction::Delayed, "5.1.1", None),
        (DsnAction::Delivered, "2.0.0", None),
        (DsnAction::Relayed, "2.0.0", None),
        (DsnAction::Expanded, "2.0.0", None),
    ];
    for (action, status, expected) in cases {
        assert_eq!(
            recipient(action, status).bounce_kind(),
            expected,
            "{action:?} {status}"
        );
    }
}

#[test]
fn every_truncation_of_the_golden_files_reads_without_panic() {
    for path in golden_emls() {
        let raw = std::fs::read(&path).unwrap();
        for len in 0..=raw.len() {
            let _ = dsn::parse(&raw[..len]);
            let _ = dsn::parse_complaint(&raw[..len]);
        }
    }
}

/// xorshift64: reproducible noise without a dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap()
    }
}

#[test]
fn random_bytes_and_mutated_golden_files_read_without_panic() {
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let header =
        b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; \
                   boundary=b\n\n--b\nContent-Type: message/delivery-status\n\n";
    for _ in 0..2_000 {
        let len = noise.below(2_048);
        let bytes: Vec<u8> = (0..len).map(|_| noise.next().to_le_bytes()[0]).collect();
        let _ = dsn::parse(&bytes);
        let _ = dsn::parse_complaint(&bytes);
        let mut framed = header.to_vec();
        framed.extend_from_slice(&bytes);
        let _ = dsn::parse(&framed);
    }
    let alphabet = b"\r\n\t :;<>@-=\"Final-Recipient: rfc822;Action: failedStatus: 5.1.1--b";
    for path in golden_emls() {
        let raw = std::fs::read(&path).unwrap();
        for _ in 0..200 {
            let mut mutated = raw.clone();
            for _ in 0..1 + noise.below(8) {
                let at = noise.below(mutated.len());
                match noise.below(3) {
                    0 => mutated[at] = alphabet[noise.below(alphabet.len())],
                    1 => mutated.insert(at, alphabet[noise.below(alphabet.len())]),
                    _ => {
                        mutated.remove(at);
                    }
                }
            }
            let _ = dsn::parse(&mutated);
            let _ = dsn::parse_complaint(&mutated);
        }
    }
}

fn dsn_with_status_part(status_part: &str, trailer: &str) -> Vec<u8> {
    format!(
        "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n\
         --b\nContent-Type: text/plain\n\nFailed.\n\n\
         --b\nContent-Type: message/delivery-status\n\n{status_part}\n\
         --b\nContent-Type: message/rfc822\n\nMessage-ID: <huge@campaigns.example.com>\n\n{trailer}\n--b--\n"
    )
    .into_bytes()
}

#[test]
fn huge_reports_are_read_within_bounds() {
    let mut blocks = String::from("Reporting-MTA: dns; mx.example.net\n\n");
    for i in 0..5_000 {
        blocks.push_str(&format!(
            "Final-Recipient: rfc822; user{i}@example.net\nAction: failed\nStatus: 5.1.1\n\n"
        ));
    }
    let many = dsn::parse(&dsn_with_status_part(&blocks, "")).unwrap();
    assert_eq!(many.recipients.len(), dsn::MAX_RECIPIENTS);

    let long_diagnostic = format!(
        "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550{}\n",
        "\n x".repeat(100_000)
    );
    let long = dsn::parse(&dsn_with_status_part(&long_diagnostic, "")).unwrap();
    let diagnostic = long.recipients[0].diagnostic.as_deref().unwrap();
    assert!(diagnostic.chars().count() <= 1_000);

    // A returned message far past the read limit: the report before it is still read.
    let body = "y".repeat(76) + "\n";
    let huge = dsn_with_status_part(
        "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1\n",
        &body.repeat(dsn::MAX_REPORT_BYTES / body.len() + 10_000),
    );
    assert!(huge.len() > dsn::MAX_REPORT_BYTES);
    let read = dsn::parse(&huge).unwrap();
    assert_eq!(read.recipients.len(), 1);
    assert_eq!(
        read.original_message_id.as_deref(),
        Some("huge@campaigns.example.com")
    );
}

#[test]
fn a_report_without_its_status_part_is_a_dsn_with_no_recipients() {
    let raw = b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n\
                --b\nContent-Type: text/plain\n\nFailed.\n--b--\n";
    let read = dsn::parse(raw).unwrap();
    assert!(read.recipients.is_empty());
    assert_eq!(read.original_message_id, None);
}

#[test]
fn sendgrid_golden_batch_reads_as_expected() {
    let body = std::fs::read(data_dir("sendgrid").join("events.json")).unwrap();
    let (events, skipped) = sendgrid::parse(&body).unwrap();
    check_golden(
        &data_dir("sendgrid").join("events.expected.json"),
        &EventsGolden { events, skipped },
    );
}

#[test]
fn sendgrid_bodies_over_the_caps_are_refused() {
    let too_large = vec![b' '; sendgrid::MAX_BODY_BYTES + 1];
    assert_eq!(sendgrid::parse(&too_large), Err(ParseError::TooLarge));
    let too_many = format!("[{}{{}}]", "{},".repeat(sendgrid::MAX_EVENTS));
    assert_eq!(
        sendgrid::parse(too_many.as_bytes()),
        Err(ParseError::TooManyEvents)
    );
    assert_eq!(
        sendgrid::parse(b"{\"event\":\"open\"}"),
        Err(ParseError::NotArray)
    );
    assert_eq!(sendgrid::parse(b"[{\"event\":"), Err(ParseError::NotArray));
    assert_eq!(sendgrid::parse(b"[]"), Ok((Vec::new(), 0)));
    let at_cap = format!("[{}{{}}]", "{},".repeat(sendgrid::MAX_EVENTS - 1));
    assert_eq!(
        sendgrid::parse(at_cap.as_bytes()),
        Ok((Vec::new(), sendgrid::MAX_EVENTS))
    );
}

/// SubjectPublicKeyInfo DER of a P-256 key, as SendGrid gives it: the fixed header (id-ecPublicKey,
/// prime256v1, BIT STRING of 66 bytes) followed by the uncompressed point.
fn spki_base64(key: &SigningKey) -> String {
    let mut der = b"\x30\x59\x30\x13\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07\x03\x42\x00".to_vec();
    der.extend_from_slice(key.verifying_key().to_encoded_point(false).as_bytes());
    STANDARD.encode(der)
}

/// Signs as SendGrid does: ECDSA P-256/SHA-256 over the timestamp then the body, DER, base64.
fn sign(key: &SigningKey, timestamp: &str, body: &[u8]) -> String {
    let mut signed = timestamp.as_bytes().to_vec();
    signed.extend_from_slice(body);
    let signature: Signature = key.sign(&signed);
    STANDARD.encode(signature.to_der().as_bytes())
}

fn test_key() -> SigningKey {
    SigningKey::from_slice(&[0x42; 32]).unwrap()
}

const NOW: i64 = 1_796_721_400;
const TOLERANCE: i64 = 300;

#[test]
fn a_sendgrid_signature_is_checked_over_timestamp_and_body() {
    let key = test_key();
    let verifier = SendgridVerifier::from_base64_der(&spki_base64(&key)).unwrap();
    let body = std::fs::read(data_dir("sendgrid").join("events.json")).unwrap();
    let timestamp = "1796721390";
    let signature = sign(&key, timestamp, &body);

    assert_eq!(
        verifier.verify(timestamp, &body, &signature, NOW, TOLERANCE),
        Ok(())
    );

    let mut altered = body.clone();
    altered[10] ^= 1;
    assert_eq!(
        verifier.verify(timestamp, &altered, &signature, NOW, TOLERANCE),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verifier.verify("1796721391", &body, &signature, NOW, TOLERANCE),
        Err(SignatureError::Mismatch)
    );
    let other = SigningKey::from_slice(&[0x43; 32]).unwrap();
    assert_eq!(
        verifier.verify(
            timestamp,
            &body,
            &sign(&other, timestamp, &body),
            NOW,
            TOLERANCE
        ),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn a_stale_or_future_sendgrid_timestamp_is_refused_even_when_signed() {
    let key = test_key();
    let verifier = SendgridVerifier::from_base64_der(&spki_base64(&key)).unwrap();
    let body = b"[]";
    for (timestamp, expected) in [
        (NOW - TOLERANCE, Ok(())),
        (NOW + TOLERANCE, Ok(())),
        (NOW - TOLERANCE - 1, Err(SignatureError::StaleTimestamp)),
        (NOW + TOLERANCE + 1, Err(SignatureError::StaleTimestamp)),
        (0, Err(SignatureError::StaleTimestamp)),
    ] {
        let timestamp = timestamp.to_string();
        let signature = sign(&key, &timestamp, body);
        assert_eq!(
            verifier.verify(&timestamp, body, &signature, NOW, TOLERANCE),
            expected,
            "{timestamp}"
        );
    }
    let signature = sign(&key, "1796721390", body);
    assert_eq!(
        verifier.verify("1796721390", body, &signature, i64::MIN, i64::MAX),
        Err(SignatureError::StaleTimestamp)
    );
    assert_eq!(
        verifier.verify("1796721390", body, &signature, NOW, -5),
        Err(SignatureError::StaleTimestamp)
    );
}

#[test]
fn high_and_low_s_sendgrid_signatures_both_verify() {
    // OpenSSL-style signers do not normalise s, so both halves of the curve order must verify.
    let key = test_key();
    let verifier = SendgridVerifier::from_base64_der(&spki_base64(&key)).unwrap();
    let (timestamp, body) = ("1796721390", b"[{\"event\":\"open\"}]");
    let mut signed = timestamp.as_bytes().to_vec();
    signed.extend_from_slice(body);
    let signature: Signature = key.sign(&signed);
    let low = signature.normalize_s().unwrap_or(signature);
    let (r, s) = low.split_scalars();
    let high = Signature::from_scalars(r, -s).unwrap();
    assert!(
        high.normalize_s().is_some(),
        "the constructed signature has a high s"
    );
    for signature in [low, high] {
        let encoded = STANDARD.encode(signature.to_der().as_bytes());
        assert_eq!(
            verifier.verify(timestamp, body, &encoded, NOW, TOLERANCE),
            Ok(())
        );
    }
}

#[test]
fn sendgrid_own_test_vector_verifies() {
    // The key, timestamp, payload and signature of SendGrid's Go helper tests (helpers/eventwebhook):
    // an independent signer, so this checks the message layout and the key format, not just a round trip.
    let verifier = SendgridVerifier::from_base64_der(
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==",
    )
    .unwrap();
    let payload =
        br#"{"category":"example_payload","event":"test_event","message_id":"message_id"}"#;
    let signature = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=";
    let timestamp = "1588788367";
    let now = 1_588_788_367;
    assert_eq!(
        verifier.verify(timestamp, payload, signature, now, TOLERANCE),
        Ok(())
    );
    assert_eq!(
        verifier.verify(
            timestamp,
            b"this is not valid payload",
            signature,
            now,
            TOLERANCE
        ),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn garbage_keys_signatures_and_timestamps_are_errors() {
    for key in ["", "not base64 !", "AAAA", &STANDARD.encode([0x30u8; 91])] {
        assert_eq!(
            SendgridVerifier::from_base64_der(key).err(),
            Some(SignatureError::InvalidKey),
            "{key}"
        );
    }
    let key = test_key();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        spki_base64(&key)
    );
    let verifier = SendgridVerifier::from_base64_der(&pem).unwrap();
    let body = b"[]";
    let good = sign(&key, "1796721390", body);
    for signature in [
        "",
        "***",
        "AAAA",
        &STANDARD.encode([0u8; 72]),
        &good[..good.len() - 8],
    ] {
        assert_eq!(
            verifier.verify("1796721390", body, signature, NOW, TOLERANCE),
            Err(SignatureError::MalformedSignature),
            "{signature}"
        );
    }
    for timestamp in [
        "",
        "-1796721390",
        " 1796721390",
        "1796721390.5",
        "99999999999999999999999",
        "abc",
    ] {
        assert_eq!(
            verifier.verify(timestamp, body, &good, NOW, TOLERANCE),
            Err(SignatureError::MalformedTimestamp),
            "{timestamp}"
        );
    }
}

#[test]
fn error_messages_carry_no_request_content() {
    let messages = [
        SignatureError::InvalidKey.to_string(),
        SignatureError::MalformedSignature.to_string(),
        SignatureError::MalformedTimestamp.to_string(),
        SignatureError::StaleTimestamp.to_string(),
        SignatureError::Mismatch.to_string(),
        ParseError::TooLarge.to_string(),
        ParseError::NotArray.to_string(),
        ParseError::TooManyEvents.to_string(),
    ];
    for message in messages {
        assert!(!message.contains('@') && !message.is_empty(), "{message}");
    }
}
