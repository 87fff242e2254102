//! The egress policy and the read limits at the API's door (`POST /api/v1/email-accounts`): private,
//! loopback and metadata hosts refused without a connection; plaintext refused unless allowed; hostile
//! servers (allow-listed on loopback) whose banners are never echoed, whose huge literals are never
//! buffered, whose drips time out; one test login at a time per user; no control characters in folders.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, read_body};
use shared::models::user::Role;
use shared::test_utils::hostile_imap::{HUGE_LITERAL, rss_bytes};
use shared::test_utils::{Behaviour, HostileImap};

use crate::common::{TestApp, error_of};

const KEY: &str = "2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a";

fn account(host: &str, port: u16, security: &str) -> serde_json::Value {
    serde_json::json!({
        "address": "someone@crm.test",
        "host": host,
        "port": port,
        "security": security,
        "secret": "imap-pw",
    })
}

fn post(bearer: &str, body: &serde_json::Value) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/email-accounts")
        .insert_header(("Authorization", bearer.to_owned()))
        .set_json(body)
}

/// Status, raw text and JSON of a call.
macro_rules! call {
    ($svc:expr, $req:expr) => {{
        let res = call_service(&$svc, $req.to_request()).await;
        let status = res.status();
        let raw = read_body(res).await;
        let text = String::from_utf8_lossy(&raw).to_string();
        let json: serde_json::Value = serde_json::from_slice(&raw).unwrap_or_default();
        (status, text, json)
    }};
}

#[actix_web::test]
async fn private_loopback_and_metadata_hosts_are_refused_before_any_connection() {
    // A listener on loopback that would see any connection the API made.
    let witness = HostileImap::start(Behaviour::Banner(b"* OK witness\r\n".to_vec())).await;
    let app = TestApp::with_env(&[("MAIL_ENCRYPTION_KEY", KEY), ("EGRESS_ALLOW_CIDRS", "")]).await;
    let svc = service!(app);
    let (_, bearer) = app.bearer(Role::User).await;
    for host in [
        "127.0.0.1",
        "localhost",
        "169.254.169.254",
        "10.0.0.1",
        "[::1]",
    ] {
        for security in ["tls", "none"] {
            let (status, text, json) =
                call!(svc, post(&bearer, &account(host, witness.port(), security)));
            assert_eq!(status, StatusCode::BAD_REQUEST, "{host}: {text}");
            assert_eq!(error_of(&json)["code"], "egress_refused", "{host}: {text}");
            assert_eq!(error_of(&json)["field"], "host", "{host}: {text}");
            for leaked in ["127.0.0.1", "::1", "witness"] {
                assert!(!text.contains(leaked), "{host}: {text}");
            }
        }
    }
    assert_eq!(witness.connections(), 0);
}

#[actix_web::test]
async fn plaintext_imap_needs_the_operators_setting() {
    let server = HostileImap::start(Behaviour::Banner(b"* OK ready\r\n".to_vec())).await;
    let app = TestApp::with_env(&[
        ("MAIL_ENCRYPTION_KEY", KEY),
        ("IMAP_ALLOW_PLAINTEXT", "false"),
    ])
    .await;
    let svc = service!(app);
    let (_, bearer) = app.bearer(Role::User).await;
    let (status, text, json) = call!(
        svc,
        post(&bearer, &account("127.0.0.1", server.port(), "none"))
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert_eq!(error_of(&json)["code"], "plaintext_disabled", "{text}");
    assert_eq!(error_of(&json)["field"], "security", "{text}");
    assert_eq!(server.connections(), 0, "the password went nowhere");
}

#[actix_web::test]
async fn a_hostile_servers_bytes_are_never_echoed() {
    let app = TestApp::with_env(&[
        ("MAIL_ENCRYPTION_KEY", KEY),
        ("IMAP_CONNECT_TIMEOUT_MS", "2000"),
    ])
    .await;
    let svc = service!(app);
    let (_, bearer) = app.bearer(Role::User).await;
    let banners: [&[u8]; 3] = [
        // A database's greeting with its salt, then garbage.
        b"J\x00\x00\x00\n5.5.5-10.11.6-MariaDB SALT-Zq8#kQ0x\x00\xff\xfe garbage garbage\r\n",
        // A NATS-like banner.
        b"INFO {\"server_id\":\"NATSBANNER42\",\"version\":\"2.10\"}\r\n",
        // An IMAP greeting, then a login refusal whose text is the server's.
        b"* OK [CAPABILITY IMAP4rev1] SECRETGREETING\r\n",
    ];
    for banner in banners {
        let server = HostileImap::start(Behaviour::Banner(banner.to_vec())).await;
        let (status, text, json) = call!(
            svc,
            post(&bearer, &account("127.0.0.1", server.port(), "none"))
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        assert!(
            ["server_unreachable", "login_refused"]
                .contains(&error_of(&json)["code"].as_str().unwrap()),
            "{text}"
        );
        for leaked in [
            "MariaDB",
            "SALT",
            "Zq8",
            "garbage",
            "NATSBANNER42",
            "server_id",
            "SECRETGREETING",
        ] {
            assert!(!text.contains(leaked), "{leaked} echoed: {text}");
        }
    }
    let refusing = HostileImap::start(Behaviour::Imap {
        login_reply: Some(b"a1 NO [AUTHENTICATIONFAILED] SECRETREASON-hunter2\r\n".to_vec()),
        body_head: Vec::new(),
    })
    .await;
    let (status, text, json) = call!(
        svc,
        post(&bearer, &account("127.0.0.1", refusing.port(), "none"))
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert_eq!(error_of(&json)["code"], "login_refused", "{text}");
    assert!(text.contains("AUTHENTICATIONFAILED"), "{text}");
    assert!(!text.contains("SECRETREASON"), "{text}");
}

#[actix_web::test]
async fn a_huge_literal_fails_fast_without_buffering() {
    let app = TestApp::with_env(&[("MAIL_ENCRYPTION_KEY", KEY)]).await;
    let svc = service!(app);
    let (_, bearer) = app.bearer(Role::User).await;
    let greeting = format!("* 1 FETCH (BODY[] {HUGE_LITERAL}\r\n").into_bytes();
    let login = format!("* OK [ALERT] hi\r\n* 1 FETCH (BODY[] {HUGE_LITERAL}\r\n").into_bytes();
    let servers = [
        HostileImap::start(Behaviour::Flood { head: greeting }).await,
        HostileImap::start(Behaviour::Imap {
            login_reply: Some(login),
            body_head: Vec::new(),
        })
        .await,
        // No announcement at all: one endless line.
        HostileImap::start(Behaviour::Flood {
            head: b"* OK ".to_vec(),
        })
        .await,
    ];
    for server in &servers {
        let before = rss_bytes();
        let started = Instant::now();
        let (status, text, json) = call!(
            svc,
            post(&bearer, &account("127.0.0.1", server.port(), "none"))
        );
        let grown = rss_bytes().saturating_sub(before);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        assert_eq!(error_of(&json)["code"], "server_unreachable", "{text}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        // The old code read (and zeroed) 300 MB; the server could send only what socket buffers hold.
        assert!(
            server.sent() < 32 * 1_048_576,
            "the server sent {} bytes",
            server.sent()
        );
        assert!(grown < 32 * 1_048_576, "RSS grew by {grown} bytes");
    }
}

#[actix_web::test]
async fn a_dripping_server_times_out_within_the_configured_cap() {
    let app = TestApp::with_env(&[
        ("MAIL_ENCRYPTION_KEY", KEY),
        ("IMAP_CONNECT_TIMEOUT_MS", "1500"),
    ])
    .await;
    let svc = service!(app);
    let (_, bearer) = app.bearer(Role::User).await;
    let server = HostileImap::start(Behaviour::Drip {
        bytes: b"* OK [CAPABILITY IMAP4rev1] slowly, very slowly\r\n".to_vec(),
        interval: Duration::from_secs(1),
    })
    .await;
    let started = Instant::now();
    let (status, text, json) = call!(
        svc,
        post(&bearer, &account("127.0.0.1", server.port(), "none"))
    );
    let took = started.elapsed();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert_eq!(error_of(&json)["code"], "server_unreachable", "{text}");
    assert!(
        text.contains("timed out") || text.contains("did not answer in time"),
        "{text}"
    );
    assert!(
        took >= Duration::from_millis(1_400) && took < Duration::from_secs(4),
        "{took:?}"
    );
}

#[actix_web::test]
async fn a_second_concurrent_test_login_of_the_same_user_is_a_429() {
    let app = TestApp::with_env(&[
        ("MAIL_ENCRYPTION_KEY", KEY),
        ("IMAP_CONNECT_TIMEOUT_MS", "3000"),
    ])
    .await;
    let svc = service!(app);
    let (user, bearer) = app.bearer(Role::User).await;
    let (_, other) = app.bearer(Role::User).await;
    let silent = HostileImap::start(Behaviour::Silent).await;
    let body = account("127.0.0.1", silent.port(), "none");
    let first = async { call!(svc, post(&bearer, &body)) };
    let second = async {
        // Once the first test login holds its connection.
        while silent.connections() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let same = call!(svc, post(&bearer, &body));
        let another_user = call!(svc, post(&other, &body));
        (same, another_user)
    };
    let (first, (same, another_user)) = tokio::join!(first, second);
    assert_eq!(same.0, StatusCode::TOO_MANY_REQUESTS, "{}", same.1);
    assert_eq!(error_of(&same.2)["code"], "rate_limited", "{}", same.1);
    // The first one, and another user's, ran (and timed out on the silent server).
    assert_eq!(first.0, StatusCode::BAD_REQUEST, "{}", first.1);
    assert_eq!(
        another_user.0,
        StatusCode::BAD_REQUEST,
        "{}",
        another_user.1
    );
    assert_eq!(silent.connections(), 2);
    // The slot is free again.
    assert_eq!(app.state.test_logins.running(user), 0);
    let (status, text, _) = call!(
        svc,
        post(&bearer, &account("127.0.0.1", silent.port(), "none"))
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
}

/// The folder check names `folders`; a NUL is refused earlier, by the JSON extractor, which names the item.
fn assert_folders_field(json: &serde_json::Value, folders: &serde_json::Value, text: &str) {
    let field = error_of(json)["field"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        field == "folders" || field.starts_with("folders["),
        "{folders}: {text}"
    );
}

#[actix_web::test]
async fn control_characters_in_folder_names_are_a_400_naming_folders() {
    let app = TestApp::with_env(&[("MAIL_ENCRYPTION_KEY", KEY)]).await;
    let svc = service!(app);
    let (_, bearer) = app.bearer(Role::User).await;
    let witness = HostileImap::start(Behaviour::Banner(b"* OK\r\n".to_vec())).await;
    let long = "a".repeat(201);
    for folders in [
        serde_json::json!(["INBOX\r\na2 DELETE INBOX"]),
        serde_json::json!(["INBOX\n"]),
        serde_json::json!(["IN\u{0000}BOX"]),
        serde_json::json!(["IN\u{0007}BOX"]),
        serde_json::json!([long]),
        serde_json::json!((0..101).map(|i| format!("F{i}")).collect::<Vec<_>>()),
    ] {
        let mut body = account("127.0.0.1", witness.port(), "none");
        body["folders"] = folders.clone();
        let (status, text, json) = call!(svc, post(&bearer, &body));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{folders}: {text}");
        assert_folders_field(&json, &folders, &text);

        let (status, text, json) = call!(
            svc,
            TestRequest::patch()
                .uri("/api/v1/email-accounts/1")
                .insert_header(("Authorization", bearer.clone()))
                .set_json(serde_json::json!({ "folders": folders }))
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{folders}: {text}");
        assert_folders_field(&json, &folders, &text);
    }
    assert_eq!(witness.connections(), 0);
}
