//! Routing rules: who handles an analysed inbound email (an owner or a team). Matching is
//! `crm-analysis`'s (`route`); this module stores rules and assignments.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::email_account::EmailAccountId;
use super::interaction::InteractionId;
use super::text_list::TextList;
use super::{TeamId, UserId};
use crate::db::DbError;
use crate::schema::{interactions, routing_rules as r};

id_newtype!(
    /// Id of a row of `routing_rules`.
    RoutingRuleId
);

/// A row of `routing_rules`.
#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize, utoipa::ToSchema,
)]
#[diesel(table_name = r, check_for_backend(diesel::pg::Pg))]
pub struct RoutingRule {
    #[schema(value_type = i64)]
    pub id: RoutingRuleId,
    pub name: String,
    /// Lower runs first.
    pub priority: i32,
    pub active: bool,
    /// An intent label, e.g. `meeting_request`.
    pub intent: Option<String>,
    /// An address or domain pattern with `*` wildcards, e.g. `*@amundi.com` or `amundi.com`.
    pub sender_pattern: Option<String>,
    /// Any of them in the subject or body, case and accents ignored.
    #[diesel(deserialize_as = TextList)]
    pub keywords: Vec<String>,
    #[schema(value_type = Option<i64>)]
    pub account_id: Option<EmailAccountId>,
    #[schema(value_type = Option<i64>)]
    pub assign_user_id: Option<UserId>,
    #[schema(value_type = Option<i64>)]
    pub assign_team_id: Option<TeamId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Insert form of [`RoutingRule`] (also its full replacement on update).
#[derive(Debug, Clone, PartialEq, Eq, Insertable, AsChangeset)]
#[diesel(table_name = r, treat_none_as_null = true)]
pub struct NewRoutingRule {
    pub name: String,
    pub priority: i32,
    pub active: bool,
    pub intent: Option<String>,
    pub sender_pattern: Option<String>,
    pub keywords: Vec<String>,
    pub account_id: Option<EmailAccountId>,
    pub assign_user_id: Option<UserId>,
    pub assign_team_id: Option<TeamId>,
}

/// Every rule, in evaluation order (priority, then id).
pub fn list(conn: &mut PgConnection) -> Result<Vec<RoutingRule>, DbError> {
    Ok(r::table
        .select(RoutingRule::as_select())
        .order((r::priority.asc(), r::id.asc()))
        .load(conn)?)
}

/// The active rules, in evaluation order.
pub fn active(conn: &mut PgConnection) -> Result<Vec<RoutingRule>, DbError> {
    Ok(r::table
        .filter(r::active)
        .select(RoutingRule::as_select())
        .order((r::priority.asc(), r::id.asc()))
        .load(conn)?)
}

pub fn find(conn: &mut PgConnection, id: RoutingRuleId) -> Result<Option<RoutingRule>, DbError> {
    Ok(r::table
        .find(id)
        .select(RoutingRule::as_select())
        .first(conn)
        .optional()?)
}

pub fn create(conn: &mut PgConnection, new: &NewRoutingRule) -> Result<RoutingRule, DbError> {
    Ok(diesel::insert_into(r::table)
        .values(new)
        .returning(RoutingRule::as_returning())
        .get_result(conn)?)
}

/// Replaces rule `id`; `None` when it does not exist.
pub fn replace(
    conn: &mut PgConnection,
    id: RoutingRuleId,
    rule: &NewRoutingRule,
) -> Result<Option<RoutingRule>, DbError> {
    Ok(diesel::update(r::table.find(id))
        .set(rule)
        .returning(RoutingRule::as_returning())
        .get_result(conn)
        .optional()?)
}

/// Deletes rule `id` (its assignments stay, without the rule); false when it did not exist.
pub fn delete(conn: &mut PgConnection, id: RoutingRuleId) -> Result<bool, DbError> {
    Ok(diesel::delete(r::table.find(id)).execute(conn)? > 0)
}

/// Why an email is assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignment {
    Rule(RoutingRuleId, Option<UserId>, Option<TeamId>),
    Default(UserId),
    /// No rule and no default: any earlier automatic assignment is cleared.
    None,
}

/// Assigns email `id` unless a person assigned it (`assignment_source = 'human'`); true when written.
pub fn assign(
    conn: &mut PgConnection,
    id: InteractionId,
    assignment: Assignment,
) -> Result<bool, DbError> {
    let (user, team, rule, source) = match assignment {
        Assignment::Rule(rule, user, team) => (user, team, Some(rule), Some("rule")),
        Assignment::Default(user) => (Some(user), None, None, Some("default")),
        Assignment::None => (None, None, None, None),
    };
    let n = diesel::update(
        interactions::table.find(id).filter(
            interactions::assignment_source
                .is_null()
                .or(interactions::assignment_source.ne("human")),
        ),
    )
    .set((
        interactions::assigned_user_id.eq(user),
        interactions::assigned_team_id.eq(team),
        interactions::routing_rule_id.eq(rule),
        interactions::assignment_source.eq(source),
    ))
    .execute(conn)?;
    Ok(n > 0)
}
