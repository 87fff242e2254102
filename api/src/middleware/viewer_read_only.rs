//! Viewers are read-only everywhere: every state-changing request (anything but GET, HEAD and OPTIONS)
//! made with a bearer token needs at least the `user` role, whatever the route. The check runs before the
//! handler's extractors, so a viewer gets 403 before the body is even read (never a 400 that would tell
//! which bodies are valid), and routes added later are covered without a line of their own. Routes with a
//! higher role check it themselves. Exempt: `/api/v1/auth/*`, where a caller handles their own credentials
//! (sign in, sign out), and the erasure of the caller's own data (`DELETE /api/v1/ai/learning/preferences`:
//! a user demoted to viewer keeps the right to erase what they recorded before), and the caller's own
//! notifications (`/api/v1/notifications/*`: marking read, channel preferences). Not guarded at all: the
//! public endpoints of campaign mail (one-click unsubscription, SendGrid's webhook), which take no
//! credentials, so a stray `Authorization` header (a viewer's client, a bad token) changes nothing there.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};
use shared::models::user::Role;

use crate::auth::AuthUser;

/// Paths below this prefix handle the caller's own credentials and stay open to every role.
const OWN_CREDENTIALS_PREFIX: &str = "/api/v1/auth/";

/// Requests that erase the caller's own data, open to every role.
const OWN_DATA_ERASURE: &[(&str, &str)] = &[("DELETE", "/api/v1/ai/learning/preferences")];

/// The caller's own notifications (mark read, channel preferences): every handler acts on the caller's
/// rows only.
const OWN_NOTIFICATIONS_PREFIX: &str = "/api/v1/notifications/";

/// The RGPD requests: exporting or erasing one's own data is open to every role; the handlers refuse any
/// other subject to non-admins.
const OWN_DATA_REQUESTS_PREFIX: &str = "/api/v1/rgpd/";

/// Public campaign endpoints: authenticated by their signed token or body signature, never by a user.
const PUBLIC_CAMPAIGN_PREFIX: &str = "/api/v1/campaigns/unsubscribe/";
const PUBLIC_CAMPAIGN_PATHS: &[&str] = &["/api/v1/campaigns/sendgrid/events"];

fn is_public(path: &str) -> bool {
    path.starts_with(PUBLIC_CAMPAIGN_PREFIX) || PUBLIC_CAMPAIGN_PATHS.contains(&path)
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub async fn viewer_read_only<B>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, Error>
where
    B: MessageBody + 'static,
{
    let guarded = changes_state(req.method())
        && !req.path().starts_with(OWN_CREDENTIALS_PREFIX)
        && !req.path().starts_with(OWN_DATA_REQUESTS_PREFIX)
        && !req.path().starts_with(OWN_NOTIFICATIONS_PREFIX)
        && !is_public(req.path())
        && !OWN_DATA_ERASURE
            .iter()
            .any(|(m, p)| req.method().as_str() == *m && req.path() == *p)
        && req.headers().contains_key(AUTHORIZATION);
    if guarded {
        // The extractor caches the user in the request, so the handler does not authenticate twice. A bad
        // token is answered here as the handler would answer it.
        let refused = match req.extract::<AuthUser>().await {
            Ok(user) => user.require(Role::User).err(),
            Err(e) => Some(e),
        };
        if let Some(e) = refused {
            let response = e.error_response();
            return Ok(req.into_response(response));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
