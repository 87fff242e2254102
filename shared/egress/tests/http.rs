//! HTTP under the policy: the first URL and every redirect hop are checked (IP literals included), names
//! are checked after resolution, and bodies are read under a cap.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::error::Error as _;

use egress::{EgressError, EgressPolicy, HttpLimits, read_body_capped};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn loopback_only_127_0_0_1() -> EgressPolicy {
    EgressPolicy::parse_allow_list("127.0.0.1/32").unwrap()
}

/// The policy's refusal somewhere in a reqwest error's cause chain.
fn refusal_in(err: &EgressError) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = err.source();
    while let Some(c) = cause {
        if let Some(EgressError::Refused(_)) = c.downcast_ref::<EgressError>() {
            return true;
        }
        cause = c.source();
    }
    matches!(err, EgressError::Refused(_))
}

#[tokio::test]
async fn a_redirect_to_an_address_outside_the_allow_list_is_refused() {
    // The target listens on 127.0.0.2 (loopback, but not allow-listed): it must never be asked.
    let target = MockServer::builder()
        .listener(std::net::TcpListener::bind("127.0.0.2:0").unwrap())
        .start()
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("internal secret"))
        .expect(0)
        .mount(&target)
        .await;
    let origin = MockServer::start().await;
    Mock::given(path("/hop"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/internal", target.uri()).as_str()),
        )
        .mount(&origin)
        .await;
    Mock::given(path("/ok"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/final"))
        .mount(&origin)
        .await;
    Mock::given(path("/final"))
        .respond_with(ResponseTemplate::new(200).set_body_string("fine"))
        .mount(&origin)
        .await;
    let http = loopback_only_127_0_0_1()
        .http_client(HttpLimits::default())
        .unwrap();

    // An allowed hop is followed (so the refusal below is the policy's, not a broken client).
    let ok = http
        .execute(
            http.client()
                .get(format!("{}/ok", origin.uri()))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(ok.text().await.unwrap(), "fine");

    let err = http
        .execute(
            http.client()
                .get(format!("{}/hop", origin.uri()))
                .build()
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(refusal_in(&err), "{err:?}");
    assert!(!format!("{err}").contains("127.0.0.2"), "{err}");
    target.verify().await;
}

#[tokio::test]
async fn ip_literal_and_resolved_names_are_checked_on_the_first_url() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let port = server.address().port();
    let strict = EgressPolicy::default()
        .http_client(HttpLimits::default())
        .unwrap();
    for url in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://localhost:{port}/"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[fd00:ec2::254]/".to_owned(),
    ] {
        let request = strict.client().get(&url).build().unwrap();
        let err = strict.execute(request).await.unwrap_err();
        assert!(refusal_in(&err), "{url}: {err:?}");
    }
    // The resolver alone (a request sent without `execute`) still refuses names that resolve inside.
    let err = strict
        .client()
        .get(format!("http://localhost:{port}/"))
        .send()
        .await
        .unwrap_err();
    let err = EgressError::from(err);
    assert!(refusal_in(&err), "{err:?}");
    assert!(matches!(
        strict.check(&"file:///etc/passwd".parse().unwrap()),
        Err(EgressError::Scheme)
    ));
    server.verify().await;
}

#[tokio::test]
async fn bodies_are_read_under_a_cap() {
    let server = MockServer::start().await;
    Mock::given(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 100_000]))
        .mount(&server)
        .await;
    Mock::given(path("/small"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 1_000]))
        .mount(&server)
        .await;
    let http = loopback_only_127_0_0_1()
        .http_client(HttpLimits::default())
        .unwrap();
    let get = |p: &str| {
        http.client()
            .get(format!("{}{p}", server.uri()))
            .build()
            .unwrap()
    };
    let big = http.execute(get("/big")).await.unwrap();
    assert!(matches!(
        read_body_capped(big, 64 * 1024).await,
        Err(EgressError::BodyTooLarge { limit: 65_536 })
    ));
    let small = http.execute(get("/small")).await.unwrap();
    assert_eq!(
        read_body_capped(small, 64 * 1024).await.unwrap().len(),
        1_000
    );
}

#[tokio::test]
async fn a_chunked_body_past_the_cap_stops_the_read() {
    // No Content-Length: the cap is enforced while reading, and the sender is cut off long before the end.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf).await.unwrap();
        s.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            .await
            .unwrap();
        let chunk = format!("{:x}\r\n{}\r\n", 16_384, "y".repeat(16_384));
        let mut sent = 0usize;
        while sent < 100 * 1_048_576 {
            if s.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
            sent += 16_384;
        }
        sent
    });
    let http = loopback_only_127_0_0_1()
        .http_client(HttpLimits::default())
        .unwrap();
    let response = http
        .execute(
            http.client()
                .get(format!("http://{addr}/"))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let err = read_body_capped(response, 64 * 1024).await.unwrap_err();
    assert!(matches!(err, EgressError::BodyTooLarge { .. }), "{err:?}");
    drop(http);
    let sent = tokio::time::timeout(std::time::Duration::from_secs(20), server)
        .await
        .expect("the connection was closed")
        .unwrap();
    assert!(
        sent < 100 * 1_048_576,
        "the server could send everything: {sent}"
    );
}
