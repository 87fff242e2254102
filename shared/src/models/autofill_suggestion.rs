//! Autofill suggestions: proposed changes to people and organisations read from emails (signatures) or the
//! web, auto-applied or waiting for a human's review. The proposing and applying is `crm-autofill`'s work.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::UserId;
use crate::db::DbError;
use crate::schema::autofill_suggestions as s;

id_newtype!(
    /// Id of a row of `autofill_suggestions`.
    SuggestionId
);

text_enum! {
    /// What a suggestion changes.
    pub enum EntityType ("entity type") {
        Person => "person",
        Organisation => "organisation",
    }
}

text_enum! {
    /// The kind of change.
    pub enum SuggestionAction ("suggestion action") {
        CreatePerson => "create_person",
        SetField => "set_field",
        LinkOrganisation => "link_organisation",
    }
}

text_enum! {
    /// Where a suggestion is in its life.
    pub enum SuggestionStatus ("suggestion status") {
        Pending => "pending",
        AutoApplied => "auto_applied",
        Approved => "approved",
        Rejected => "rejected",
        /// The field changed since (a human edit, another suggestion): nothing left to decide.
        Superseded => "superseded",
    }
}

/// A row of `autofill_suggestions`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = s, check_for_backend(diesel::pg::Pg))]
pub struct Suggestion {
    #[schema(value_type = i64)]
    pub id: SuggestionId,
    #[schema(value_type = String, example = "person")]
    pub entity_type: EntityType,
    pub entity_id: Option<i64>,
    #[schema(value_type = String, example = "set_field")]
    pub action: SuggestionAction,
    /// The field set (`title`, `phone`…), `person` for a creation, `organisation` for a link.
    pub field: String,
    /// The proposed value: a string for a field, an object for a creation or a link.
    pub value: serde_json::Value,
    pub current_value: Option<String>,
    pub confidence: f32,
    /// `signature` or `web`.
    pub source: String,
    /// Where the value was read (`interaction_id`, `field_source`, match details).
    pub evidence: serde_json::Value,
    pub interaction_id: Option<i64>,
    pub analyzer_version: String,
    #[schema(value_type = Option<i64>)]
    pub owner_user_id: Option<UserId>,
    #[schema(value_type = String, example = "pending")]
    pub status: SuggestionStatus,
    pub final_value: Option<serde_json::Value>,
    #[schema(value_type = Option<i64>)]
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub dedupe_key: String,
    pub created_at: DateTime<Utc>,
}

/// Insert form of [`Suggestion`].
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = s)]
pub struct NewSuggestion {
    pub entity_type: EntityType,
    pub entity_id: Option<i64>,
    pub action: SuggestionAction,
    pub field: String,
    pub value: serde_json::Value,
    pub current_value: Option<String>,
    pub confidence: f32,
    pub source: String,
    pub evidence: serde_json::Value,
    pub interaction_id: Option<i64>,
    pub analyzer_version: String,
    pub owner_user_id: Option<UserId>,
    pub dedupe_key: String,
}

/// Inserts the suggestions whose dedupe key is new and returns those (a key already present, from this
/// batch or a concurrent one, is skipped: the same evidence never yields two suggestions).
pub fn insert_new(
    conn: &mut PgConnection,
    rows: &[NewSuggestion],
) -> Result<Vec<Suggestion>, DbError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::insert_into(s::table)
        .values(rows)
        .on_conflict(s::dedupe_key)
        .do_nothing()
        .returning(Suggestion::as_returning())
        .get_results(conn)?)
}

/// The suggestion `id`, locked for a decision when `lock`.
pub fn find(
    conn: &mut PgConnection,
    id: SuggestionId,
    lock: bool,
) -> Result<Option<Suggestion>, DbError> {
    let q = s::table.find(id).select(Suggestion::as_select());
    let row = if lock {
        q.for_update().first(conn).optional()?
    } else {
        q.first(conn).optional()?
    };
    Ok(row)
}

/// Records a decision on suggestion `id`.
pub fn decide(
    conn: &mut PgConnection,
    id: SuggestionId,
    status: SuggestionStatus,
    by: Option<UserId>,
    final_value: Option<&serde_json::Value>,
) -> Result<(), DbError> {
    diesel::update(s::table.find(id))
        .set((
            s::status.eq(status),
            s::decided_by.eq(by),
            s::decided_at.eq(Utc::now()),
            s::final_value.eq(final_value),
        ))
        .execute(conn)?;
    Ok(())
}

/// Which suggestions a review query selects (every filter optional).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<SuggestionStatus>,
    pub field: Option<String>,
    pub min_confidence: Option<f32>,
    pub max_confidence: Option<f32>,
    pub entity_type: Option<EntityType>,
    pub entity_id: Option<i64>,
    pub owner: Option<UserId>,
    /// Only suggestions from these owners' mailboxes (`None`: every owner; the caller's visibility).
    pub visible_owners: Option<Vec<UserId>>,
    pub ids: Option<Vec<SuggestionId>>,
}

fn filtered(f: &Filter) -> s::BoxedQuery<'_, diesel::pg::Pg> {
    let mut q = s::table.into_boxed();
    if let Some(v) = f.status {
        q = q.filter(s::status.eq(v));
    }
    if let Some(v) = &f.field {
        q = q.filter(s::field.eq(v));
    }
    if let Some(v) = f.min_confidence {
        q = q.filter(s::confidence.ge(v));
    }
    if let Some(v) = f.max_confidence {
        q = q.filter(s::confidence.le(v));
    }
    if let Some(v) = f.entity_type {
        q = q.filter(s::entity_type.eq(v));
    }
    if let Some(v) = f.entity_id {
        q = q.filter(s::entity_id.eq(v));
    }
    if let Some(v) = f.owner {
        q = q.filter(s::owner_user_id.eq(v));
    }
    if let Some(v) = &f.visible_owners {
        q = q.filter(s::owner_user_id.eq_any(v.clone()));
    }
    if let Some(v) = &f.ids {
        q = q.filter(s::id.eq_any(v.clone()));
    }
    q
}

/// A page of suggestions, highest confidence first.
pub fn list(
    conn: &mut PgConnection,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> Result<Vec<Suggestion>, DbError> {
    Ok(filtered(f)
        .select(Suggestion::as_select())
        .order((s::confidence.desc(), s::id.asc()))
        .limit(limit)
        .offset(offset)
        .load(conn)?)
}

/// How many suggestions match `f`.
pub fn count(conn: &mut PgConnection, f: &Filter) -> Result<i64, DbError> {
    Ok(filtered(f).count().get_result(conn)?)
}

/// The ids matching `f`, highest confidence first, at most `limit`.
pub fn ids(conn: &mut PgConnection, f: &Filter, limit: i64) -> Result<Vec<SuggestionId>, DbError> {
    Ok(filtered(f)
        .select(s::id)
        .order((s::confidence.desc(), s::id.asc()))
        .limit(limit)
        .load(conn)?)
}
