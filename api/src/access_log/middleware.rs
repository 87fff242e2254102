//! After a successful response (2xx) to a route of [`super::RULES`], hands an entry to the writer: who
//! (the signed-in user or dashboard session), what, which record, the route, a keyed hash of the IP, the
//! user agent (capped) and the request id. Failed requests touched nothing and are not logged.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use chrono::Utc;
use shared::keyed_hash::Purpose;
use shared::models::UserId;
use shared::models::access_log::NewAccessLog;

use super::Notes;
use super::rules::{IdFrom, rule_for};
use crate::auth::{AuthUser, client_ip};
use crate::dashboard::DashUser;
use crate::middleware::RequestId;
use crate::state::AppState;

const MAX_USER_AGENT: usize = 256;

pub async fn record<B>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, Error>
where
    B: MessageBody + 'static,
{
    let res = next.call(req).await?.map_into_boxed_body();
    if !res.status().is_success() {
        return Ok(res);
    }
    let request = res.request();
    let Some(rule) = request
        .match_pattern()
        .and_then(|p| rule_for(request.method().as_str(), &p))
    else {
        return Ok(res);
    };
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(res);
    };
    let (user, notes, request_id) = {
        let ext = request.extensions();
        let user: Option<UserId> = ext
            .get::<AuthUser>()
            .map(|u| u.id)
            .or_else(|| ext.get::<DashUser>().map(|u| u.id));
        (
            user,
            ext.get::<Notes>().cloned(),
            ext.get::<RequestId>().map(|r| r.0.clone()),
        )
    };
    let ip = client_ip(request, state.config.trust_proxy_headers);
    let ip_hash = Some(
        state
            .config
            .common
            .rgpd
            .hasher
            .hash(Purpose::ClientIp, ip.as_bytes()),
    );
    let user_agent = request
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(MAX_USER_AGENT).collect::<String>());
    let route = format!("{} {}", rule.method, rule.pattern);
    let targets = match notes {
        Some(Notes(n)) if !n.is_empty() => n,
        _ => {
            let id = match rule.id {
                IdFrom::Path => request.match_info().get("id").and_then(|v| v.parse().ok()),
                IdFrom::Caller => user.map(|u| u.0),
                IdFrom::Handler | IdFrom::None => None,
            };
            vec![(rule.entity, id, None)]
        }
    };
    let at = Utc::now();
    for (entity, id, action) in targets {
        state
            .access_log
            .write(NewAccessLog {
                at,
                user_id: user,
                action: action.unwrap_or(rule.action),
                entity_type: entity,
                entity_id: id,
                route: route.clone(),
                ip_hash: ip_hash.clone(),
                user_agent: user_agent.clone(),
                request_id: request_id.clone(),
            })
            .await;
    }
    Ok(res)
}
