//! `JsonBody<T>`: a JSON request body, size-limited by `API_MAX_BODY_BYTES`, whose errors name the offending
//! field (`serde_path_to_error`), unlike `web::Json`'s bare serde messages.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, json_body_error, payload_error, unsupported_media_type};
use crate::state::AppState;

/// A deserialized JSON body.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// `application/json` or any `application/*+json`.
fn is_json(req: &HttpRequest) -> bool {
    let ct = req.content_type().trim().to_ascii_lowercase();
    ct == "application/json" || (ct.starts_with("application/") && ct.ends_with("+json"))
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(262_144, |s| s.config.max_body_bytes);
        if !is_json(req) {
            return Box::pin(async { Err(unsupported_media_type()) });
        }
        // `web::Bytes` honours the `PayloadConfig` limit registered by `app_config`, refusing a declared
        // `Content-Length` over it before reading anything.
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = body.await.map_err(|e| match e.as_error::<PayloadError>() {
                Some(pe) => payload_error(pe, limit),
                None => ApiError::bad_request("invalid_body", e.to_string()),
            })?;
            let mut de = serde_json::Deserializer::from_slice(&bytes);
            let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| {
                let path = e.path().to_string();
                json_body_error(Some(path), e.inner())
            })?;
            de.end().map_err(|e| json_body_error(None, &e))?;
            Ok(JsonBody(value))
        })
    }
}
