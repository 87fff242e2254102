//! Input checks every route gets before its extractors run: a cap on the size of the request's headers,
//! no NUL character in the path or the query string (PostgreSQL refuses 0x00 in text, so it would come
//! back as a 500), and a deadline on the request body, so a client that declares a body and sends less
//! cannot hold a connection and a worker open.

use std::io;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use futures::StreamExt;

use crate::error::ApiError;
use crate::state::AppState;

/// The message of the I/O error a body read gets once its deadline has passed (mapped to 408).
const BODY_TIMEOUT: &str = "request body not received in time";

pub async fn guard_input<B>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, Error>
where
    B: MessageBody + 'static,
{
    let Some((max_header_bytes, body_timeout)) = req
        .app_data::<web::Data<AppState>>()
        .map(|s| (s.config.max_header_bytes, s.config.request_timeout))
    else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if header_bytes > max_header_bytes {
        return Ok(req.error_response(ApiError::HeadersTooLarge {
            limit: max_header_bytes,
        }));
    }
    if let Err(e) = check_nul(req.uri().path(), req.query_string()) {
        return Ok(req.error_response(e));
    }
    let has_body = req.headers().contains_key(TRANSFER_ENCODING)
        || req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0");
    if has_body {
        let payload = req.take_payload();
        req.set_payload(with_deadline(payload, body_timeout));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// Refuses a NUL (`%00` or a raw 0x00) in the path or in a query parameter, naming the parameter.
fn check_nul(path: &str, query: &str) -> Result<(), ApiError> {
    if has_encoded_nul(path) || path.contains('\0') {
        return Err(ApiError::invalid_field(
            "path",
            "the path must not contain a NUL character",
        ));
    }
    if !(has_encoded_nul(query) || query.contains('\0')) {
        return Ok(());
    }
    let field = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map_or_else(|| "query".to_owned(), |(k, _)| k.replace('\0', ""));
    Err(ApiError::invalid_field(
        field.clone(),
        format!("query parameter `{field}` must not contain a NUL character"),
    ))
}

fn has_encoded_nul(s: &str) -> bool {
    s.as_bytes().windows(3).any(|w| w == b"%00")
}

/// The body stream, ending with a `TimedOut` error once `timeout` has passed.
fn with_deadline(payload: Payload, timeout: Duration) -> Payload {
    let deadline = tokio::time::Instant::now() + timeout;
    let stream = futures::stream::unfold(Some(payload), move |state| async move {
        let mut inner = state?;
        match tokio::time::timeout_at(deadline, inner.next()).await {
            Ok(Some(item)) => Some((item, Some(inner))),
            Ok(None) => None,
            Err(_) => Some((
                Err(PayloadError::Io(io::Error::new(
                    io::ErrorKind::TimedOut,
                    BODY_TIMEOUT,
                ))),
                None,
            )),
        }
    });
    Payload::Stream {
        payload: Box::pin(stream),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(path: &str, query: &str) -> Option<String> {
        match check_nul(path, query) {
            Ok(()) => None,
            Err(ApiError::BadRequest { field, .. }) => field,
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn nul_characters_are_refused_naming_the_parameter() {
        assert_eq!(field_of("/api/v1/jobs/x", "a=1&b=%41"), None);
        assert_eq!(field_of("/api/v1/jobs/a%00b", ""), Some("path".into()));
        assert_eq!(
            field_of("/api/v1/intelligence/stats", "bucket=day&from=20%0026"),
            Some("from".into())
        );
        assert_eq!(field_of("/x", "na%00me=1"), Some("name".into()));
    }
}
