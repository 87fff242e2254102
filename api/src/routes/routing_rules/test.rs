use actix_web::{HttpResponse, web};
use chrono::Utc;
use crm_analysis::route::{RouteInput, first_match, matches};
use serde::{Deserialize, Serialize};
use shared::db::run_blocking;
use shared::models::interaction::{self, InteractionId};
use shared::models::interaction_analysis as analyses;
use shared::models::routing_rule::{self as rules, RoutingRule, RoutingRuleId};
use shared::models::user::Role;

use super::RuleInput;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestRequest {
    /// A stored email.
    pub interaction_id: i64,
    /// An unsaved rule to try on it as well.
    #[serde(default)]
    pub rule: Option<RuleInput>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MatchedRule {
    pub id: i64,
    pub name: String,
    pub assign_user_id: Option<i64>,
    pub assign_team_id: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestResponse {
    /// The intent the email was analysed with (none before its analysis).
    pub intent: Option<String>,
    /// The saved rule that would route it (first match), if any.
    pub matched_rule: Option<MatchedRule>,
    /// Whether the unsaved rule matches it (when one was given).
    pub rule_matches: Option<bool>,
}

/// Dry run (admins): which saved rule would route a stored email, and whether an unsaved rule matches it.
/// Nothing is written.
#[utoipa::path(
    post,
    path = "/api/v1/routing-rules/test",
    tag = "routing",
    request_body = TestRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What routing would do", body = TestResponse),
        (status = 400, description = "The unsaved rule is invalid; `field` names it", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such email", body = crate::error::ErrorBody),
    )
)]
pub async fn test(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<TestRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let req = body.into_inner();
    let id = InteractionId(req.interaction_id);
    let response = run_blocking(&state.pool, move |conn| {
        let Some(email) = interaction::find(conn, id)? else {
            return Ok(Err(ApiError::not_found(format!(
                "interaction {id} not found"
            ))));
        };
        let candidate = match req.rule.as_ref().map(|r| r.validate(conn)).transpose() {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let intent = analyses::find(conn, id)?.map(|a| a.intent_label);
        let input = RouteInput {
            intent: intent.as_deref(),
            from_address: email.from_address.as_deref(),
            subject: email.subject.as_deref().unwrap_or_default(),
            body: email.body_text.as_deref().unwrap_or_default(),
            account_id: email.account_id.map(|a| a.0),
        };
        let saved = rules::active(conn)?;
        let matched_rule = first_match(&saved, &input).map(|r| MatchedRule {
            id: r.id.0,
            name: r.name.clone(),
            assign_user_id: r.assign_user_id.map(|u| u.0),
            assign_team_id: r.assign_team_id.map(|t| t.0),
        });
        let rule_matches = candidate.map(|c| {
            let rule = RoutingRule {
                id: RoutingRuleId(0),
                name: c.name,
                priority: c.priority,
                active: true,
                intent: c.intent,
                sender_pattern: c.sender_pattern,
                keywords: c.keywords,
                account_id: c.account_id,
                assign_user_id: c.assign_user_id,
                assign_team_id: c.assign_team_id,
                created_at: Utc::now(),
                updated_at: Utc::now(),
            };
            matches(&rule, &input)
        });
        Ok(Ok(TestResponse {
            intent,
            matched_rule,
            rule_matches,
        }))
    })
    .await??;
    Ok(HttpResponse::Ok().json(response))
}
