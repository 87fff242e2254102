//! Routing rules (admins): CRUD, and a dry run of the rules (or of an unsaved rule) on a stored email.
//! Matching is `crm_analysis::route`'s, the code `intel.analyze_email` runs.

pub mod create;
pub mod delete;
pub mod list;
pub mod show;
pub mod test;
pub mod update;

use actix_web::web;
use diesel::prelude::*;
use serde::Deserialize;
use shared::db::DbError;
use shared::models::email_account::EmailAccountId;
use shared::models::routing_rule::NewRoutingRule;
use shared::models::{TeamId, UserId};

use crate::error::ApiError;

/// Registers the routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/routing-rules", web::get().to(list::list))
        .route("/routing-rules", web::post().to(create::create))
        .route("/routing-rules/test", web::post().to(test::test))
        .route("/routing-rules/{id}", web::get().to(show::show))
        .route("/routing-rules/{id}", web::put().to(update::update))
        .route("/routing-rules/{id}", web::delete().to(delete::delete));
}

/// A rule as written by an admin (create, replace, or dry-run).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// 1 to 200 characters.
    pub name: String,
    /// 0 to 10,000; lower runs first (default 100).
    #[serde(default)]
    pub priority: Option<i32>,
    #[serde(default)]
    pub active: Option<bool>,
    /// An intent label of the analyser (`meeting_request`, `complaint`…).
    #[serde(default)]
    pub intent: Option<String>,
    /// An address or domain pattern, `*` as wildcard: `*@amundi.com`, `amundi.com` (subdomains too).
    #[serde(default)]
    pub sender_pattern: Option<String>,
    /// At most 20 keywords of 1 to 100 characters; any of them in the subject or body.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Only emails of this mailbox.
    #[serde(default)]
    pub account_id: Option<i64>,
    #[serde(default)]
    pub assign_user_id: Option<i64>,
    #[serde(default)]
    pub assign_team_id: Option<i64>,
}

fn pattern_ok(p: &str) -> bool {
    p.len() <= 254
        && p.chars().any(|c| c != '*' && c != '@' && c != '.')
        && p.matches('@').count() <= 1
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | '*' | '+'))
}

impl RuleInput {
    /// Checks the fields (400 naming the first bad one) and that what they name exists (same).
    pub(crate) fn validate(&self, conn: &mut PgConnection) -> Result<NewRoutingRule, ApiError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ApiError::invalid_field(
                "name",
                "name must have 1 to 200 characters",
            ));
        }
        let priority = self.priority.unwrap_or(100);
        if !(0..=10_000).contains(&priority) {
            return Err(ApiError::invalid_field(
                "priority",
                "priority must be between 0 and 10000",
            ));
        }
        let intent = self
            .intent
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty());
        if let Some(i) = intent
            && !crm_analysis::route::intents().contains(&i)
        {
            return Err(ApiError::invalid_field(
                "intent",
                format!(
                    "intent must be one of {}",
                    crm_analysis::route::intents().join(", ")
                ),
            ));
        }
        let pattern = self
            .sender_pattern
            .as_deref()
            .map(|p| p.trim().to_lowercase())
            .filter(|p| !p.is_empty());
        if pattern.as_deref().is_some_and(|p| !pattern_ok(p)) {
            return Err(ApiError::invalid_field(
                "sender_pattern",
                "sender_pattern is an address or domain with `*` wildcards (letters, digits, . - _ + @ *)",
            ));
        }
        if self.keywords.len() > 20
            || self.keywords.iter().any(|k| {
                k.trim().is_empty() || k.chars().count() > 100 || k.chars().any(char::is_control)
            })
        {
            return Err(ApiError::invalid_field(
                "keywords",
                "keywords: at most 20, each of 1 to 100 characters",
            ));
        }
        if self.assign_user_id.is_none() && self.assign_team_id.is_none() {
            return Err(ApiError::invalid_field(
                "assign_user_id",
                "a rule assigns to a user (assign_user_id), a team (assign_team_id) or both",
            ));
        }
        let exists = |conn: &mut PgConnection, sql: &str, id: i64| -> Result<bool, DbError> {
            #[derive(QueryableByName)]
            struct Found {
                #[diesel(sql_type = diesel::sql_types::Bool)]
                found: bool,
            }
            Ok(diesel::sql_query(sql)
                .bind::<diesel::sql_types::BigInt, _>(id)
                .get_result::<Found>(conn)?
                .found)
        };
        let checks = [
            (
                "account_id",
                self.account_id,
                "SELECT EXISTS (SELECT 1 FROM email_accounts WHERE id = $1) AS found",
                "no such mailbox",
            ),
            (
                "assign_user_id",
                self.assign_user_id,
                "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND active) AS found",
                "no such active user",
            ),
            (
                "assign_team_id",
                self.assign_team_id,
                "SELECT EXISTS (SELECT 1 FROM teams WHERE id = $1) AS found",
                "no such team",
            ),
        ];
        for (field, id, sql, message) in checks {
            if let Some(id) = id
                && !exists(conn, sql, id)?
            {
                return Err(ApiError::invalid_field(field, message));
            }
        }
        Ok(NewRoutingRule {
            name: name.to_owned(),
            priority,
            active: self.active.unwrap_or(true),
            intent: intent.map(str::to_owned),
            sender_pattern: pattern,
            keywords: self.keywords.iter().map(|k| k.trim().to_owned()).collect(),
            account_id: self.account_id.map(EmailAccountId),
            assign_user_id: self.assign_user_id.map(UserId),
            assign_team_id: self.assign_team_id.map(TeamId),
        })
    }
}
