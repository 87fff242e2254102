//! One middleware around every route: assigns the request id, runs the request in a `http.request` span
//! (request id, method, route pattern, status, duration; never IPs, emails, tokens or bodies), records the
//! HTTP metrics and adds the `X-RateLimit-*` headers of the caller's limit to every response.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Instrument;
use tracing::field::Empty;

use super::{REQUEST_ID_HEADER, RequestId};
use crate::rate_limit::RateLimit;

/// Route label for requests that matched no route, so probes of random paths cannot blow up label cardinality.
const UNMATCHED: &str = "unmatched";

pub async fn observe<B>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, Error>
where
    B: MessageBody + 'static,
{
    let started = Instant::now();
    let request_id = RequestId::from_header(
        req.headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok()),
    );
    req.extensions_mut().insert(request_id.clone());
    let method = method_label(req.method());
    // The route pattern is only known once the router has run, so it is recorded after the call.
    let span = tracing::info_span!(
        "http.request",
        request_id = %request_id.as_str(),
        method = method,
        route = Empty,
        status = Empty,
        duration_ms = Empty,
        user.id = Empty,
    );

    // The request must not be cloned before the call: routing needs sole ownership of it.
    let mut res = match next.call(req).instrument(span.clone()).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(err) => {
            let status = err.as_response_error().status_code().as_u16();
            finish(&span, method, UNMATCHED.to_owned(), status, started);
            return Err(err);
        }
    };

    let limit = res.request().extensions().get::<RateLimit>().copied();
    if let Some(limit) = limit {
        limit.apply_to_headers(res.headers_mut());
    }
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }

    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| UNMATCHED.to_owned());
    finish(&span, method, route, res.status().as_u16(), started);
    Ok(res)
}

/// Records the HTTP metrics and the span's outcome, and logs one line for the request.
/// The method as a label from a fixed set, so made-up methods (HTTP allows any token) cannot add series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn finish(
    span: &tracing::Span,
    method: &'static str,
    route: String,
    status: u16,
    started: Instant,
) {
    let elapsed = started.elapsed();
    metrics::counter!(
        "http_requests_total",
        "method" => method,
        "route" => route.clone(),
        "status" => status.to_string(),
    )
    .increment(1);
    metrics::histogram!(
        "http_request_duration_seconds",
        "method" => method,
        "route" => route.clone(),
    )
    .record(elapsed.as_secs_f64());
    span.record("route", route.as_str());
    span.record("status", status);
    span.record(
        "duration_ms",
        u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
    );
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!("request failed");
        } else {
            tracing::info!("request completed");
        }
    });
}
