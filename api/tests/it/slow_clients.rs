//! Slow and oversized requests (issue 13, finding 7) against a real server on loopback: a body that never
//! arrives whole and a head that never ends are answered 408 and closed within `HTTP_REQUEST_TIMEOUT_SECS`;
//! oversized headers get 431.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{TestApp, error_of, parts};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Starts the API's own server (`crm_api::api_server`, with its timeouts) on a free loopback port.
fn serve(app: &TestApp) -> (SocketAddr, actix_web::dev::ServerHandle) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = crm_api::api_server(app.state.clone(), listener).unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (addr, handle)
}

/// Sends `bytes`, then reads until the server closes the connection (or 20 s pass): what it answered, and
/// how long that took.
async fn send_and_wait(addr: SocketAddr, bytes: &[u8]) -> (String, Duration) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the connection was still open after 20 s");
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[actix_web::test]
async fn a_body_shorter_than_its_content_length_is_answered_408_within_the_timeout() {
    let app = TestApp::with_env(&[("HTTP_REQUEST_TIMEOUT_SECS", "1")]).await;
    let (addr, handle) = serve(&app);
    let (answer, took) = send_and_wait(
        addr,
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
          Content-Length: 1000\r\n\r\n{\"email\":",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    handle.stop(false).await;
}

#[actix_web::test]
async fn a_head_that_never_ends_is_answered_408_within_the_timeout() {
    let app = TestApp::with_env(&[("HTTP_REQUEST_TIMEOUT_SECS", "1")]).await;
    let (addr, handle) = serve(&app);
    let (answer, took) = send_and_wait(
        addr,
        b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n",
    )
    .await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    handle.stop(false).await;
}

#[actix_web::test]
async fn oversized_headers_get_431() {
    let app = TestApp::with_env(&[("HTTP_MAX_HEADER_BYTES", "2048")]).await;
    let svc = service!(app);
    let req = TestRequest::get()
        .uri("/api/v1/health")
        .insert_header(("X-Padding", "x".repeat(3_000)))
        .to_request();
    let (status, _, body) = parts(call_service(&svc, req).await).await;
    assert_eq!(
        status,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "{body}"
    );
    assert_eq!(error_of(&body)["code"], "headers_too_large");
    let req = TestRequest::get()
        .uri("/api/v1/health")
        .insert_header(("X-Padding", "x".repeat(1_000)))
        .to_request();
    assert_eq!(call_service(&svc, req).await.status(), StatusCode::OK);
}
