//! The client's IP address, as the login rate limit counts it.

use actix_web::HttpRequest;

/// The client's IP: the TCP peer, or with `TRUST_PROXY_HEADERS` the last `X-Forwarded-For` hop (the one
/// appended by our proxy; earlier hops are whatever the client chose to send).
pub fn client_ip(req: &HttpRequest, trust_proxy_headers: bool) -> String {
    if trust_proxy_headers
        && let Some(forwarded) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').map(str::trim).find(|h| !h.is_empty()))
    {
        return forwarded.to_owned();
    }
    req.peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use actix_web::test::TestRequest;

    use super::client_ip;

    #[test]
    fn client_ip_uses_the_peer_unless_proxies_are_trusted() {
        let req = TestRequest::default()
            .peer_addr("10.0.0.7:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "1.2.3.4, 192.168.1.9"))
            .to_http_request();
        assert_eq!(client_ip(&req, false), "10.0.0.7");
        assert_eq!(client_ip(&req, true), "192.168.1.9");
        assert_eq!(
            client_ip(&TestRequest::default().to_http_request(), true),
            "unknown"
        );
    }
}
