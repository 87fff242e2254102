//! One error type for every handler, rendered as `{ "error": { "code", "message" } }` with the right status.

use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use shared::db::DbError;

use crate::rate_limit::RateLimit;

/// An error answered to the client. Server-side causes (`Internal`, `Unavailable`) are logged once, with their
/// cause chain, when the response is built; the client only sees a generic message.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or fails validation; `field` names the offending field when known.
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The resource existed and is gone for good (a used or expired download link).
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("request headers are larger than the limit of {limit} bytes")]
    HeadersTooLarge { limit: usize },
    /// The request body did not arrive within `HTTP_REQUEST_TIMEOUT_SECS`.
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("too many requests, retry in {} s", .0.reset_secs)]
    RateLimited(RateLimit),
    /// A store (Postgres, Redis) cannot be reached right now.
    #[error("service temporarily unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal server error")]
    Internal(#[source] anyhow::Error),
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: a stable machine-readable `code` and a human-readable `message`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// e.g. `validation_failed`, `unauthorized`, `forbidden`, `unknown_job`, `not_found`, `rate_limited`.
    pub code: String,
    pub message: String,
    /// The offending field for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    /// A 400 naming the field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code: "validation_failed",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// A 400 without a field.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// A 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::NotFound {
            code: "not_found",
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::NotFound { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Gone { code, .. } => code,
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::HeadersTooLarge { .. } => "headers_too_large",
            ApiError::RequestTimeout => "request_timeout",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Gone { .. } => StatusCode::GONE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "request failed")
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(error = format!("{cause:#}"), "store unavailable")
            }
            _ => {}
        }
        let mut builder = HttpResponse::build(self.status_code());
        match self {
            ApiError::RateLimited(limit) => limit.apply_to_builder(&mut builder),
            ApiError::Unauthorized(_) => {
                builder.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::Unavailable(_) => {
                builder.insert_header((actix_web::http::header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        let field = match self {
            ApiError::BadRequest { field, .. } => field.clone(),
            _ => None,
        };
        builder.json(ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
                field,
            },
        })
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        if err.is_transient() {
            ApiError::Unavailable(err.into())
        } else {
            ApiError::Internal(err.into())
        }
    }
}

impl From<redis::RedisError> for ApiError {
    fn from(err: redis::RedisError) -> Self {
        if err.is_io_error()
            || err.is_timeout()
            || err.is_connection_refusal()
            || err.is_connection_dropped()
        {
            ApiError::Unavailable(err.into())
        } else {
            ApiError::Internal(err.into())
        }
    }
}

/// Maps a serde error of a request body to a 400 naming the field when serde says which.
pub fn json_body_error(path: Option<String>, err: &serde_json::Error) -> ApiError {
    let message = err.to_string();
    let named = backticked_field(&message);
    let field = match (path.as_deref(), named) {
        (None | Some(".") | Some(""), named) => named,
        // Unknown fields are already in the path, missing ones are not.
        (Some(p), Some(n)) if is_field_error(&message) && p.rsplit('.').next() != Some(&n) => {
            Some(format!("{p}.{n}"))
        }
        (Some(p), _) => Some(p.to_owned()),
    };
    match (err.classify(), field) {
        (serde_json::error::Category::Data, Some(field)) => ApiError::invalid_field(
            field.clone(),
            format!("invalid field `{field}`: {}", strip_position(&message)),
        ),
        (serde_json::error::Category::Data, None) => {
            ApiError::bad_request("validation_failed", strip_position(&message))
        }
        _ => ApiError::bad_request(
            "invalid_json",
            format!("request body is not valid JSON: {message}"),
        ),
    }
}

fn is_field_error(message: &str) -> bool {
    message.starts_with("unknown field") || message.starts_with("missing field")
}

/// `unknown field `foo`, expected ...` -> `foo`.
fn backticked_field(message: &str) -> Option<String> {
    if !is_field_error(message) {
        return None;
    }
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned())
}

/// Drops serde_json's ` at line 1 column 12` suffix, meaningless to a client that sent one line of JSON.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Maps a payload read error (body too large, truncated, too slow) to the API's shape.
pub fn payload_error(err: &PayloadError, limit: usize) -> ApiError {
    match err {
        PayloadError::Overflow => ApiError::PayloadTooLarge { limit },
        PayloadError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => ApiError::RequestTimeout,
        other => {
            ApiError::bad_request("invalid_body", format!("cannot read request body: {other}"))
        }
    }
}

/// Error handler of `web::Json` (registered through `JsonConfig`), so its errors come out in the API's shape.
pub fn json_config_error(
    limit: usize,
) -> impl Fn(JsonPayloadError, &HttpRequest) -> actix_web::Error + Send + Sync + 'static {
    move |err, _req| {
        let api = match &err {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                ApiError::PayloadTooLarge { limit }
            }
            JsonPayloadError::ContentType => unsupported_media_type(),
            JsonPayloadError::Deserialize(e) => json_body_error(None, e),
            JsonPayloadError::Payload(e) => payload_error(e, limit),
            _ => ApiError::Internal(anyhow::anyhow!("JSON extractor: {err}")),
        };
        api.into()
    }
}

/// Error handler of `web::Path`.
pub fn path_config_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_path", err.to_string()).into()
}

/// Error handler of `web::Query`.
pub fn query_config_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let message = match &err {
        QueryPayloadError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    ApiError::bad_request("invalid_query", format!("invalid query string: {message}")).into()
}

pub fn unsupported_media_type() -> ApiError {
    ApiError::UnsupportedMediaType("expected Content-Type: application/json".into())
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(
        dead_code,
        reason = "tests: a panic with its message is the failure report"
    )]
    struct Body {
        job: String,
        count: Option<u32>,
    }

    fn err_for(json: &str) -> ApiError {
        let mut de = serde_json::Deserializer::from_str(json);
        let e = serde_path_to_error::deserialize::<_, Body>(&mut de).unwrap_err();
        let path = e.path().to_string();
        json_body_error(Some(path), e.inner())
    }

    #[test]
    fn names_the_field() {
        for (json, field) in [
            (r#"{"job":"x","bogus":1}"#, "bogus"),
            (r#"{"count":1}"#, "job"),
            (r#"{"job":"x","count":"many"}"#, "count"),
        ] {
            match err_for(json) {
                ApiError::BadRequest { field: f, .. } => assert_eq!(f.as_deref(), Some(field)),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(err_for("{not json").code(), "invalid_json");
    }
}
