//! Applying a suggestion to the CRM, by the batch (auto-apply) or a reviewer, inside the caller's
//! transaction. The rule that protects people's work lives here, for both: autofill writes a field only
//! when it is empty or was written by the same source; a value a human entered (or approved) is never
//! overwritten automatically. Field names in SQL come from [`Field`] only.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde_json::Value;
use shared::db::DbError;
use shared::models::autofill_suggestion::{EntityType, Suggestion, SuggestionAction};
use shared::models::person::{self, NewPerson};
use shared::models::{OrganisationId, PersonId, UserId, person_link};

use crate::fields::Field;

diesel::define_sql_function! {
    /// `lower(text)` on a nullable column (matches the `lower(email)` indexes).
    fn lower(x: Nullable<Text>) -> Nullable<Text>;
}

/// Who applies.
#[derive(Debug, Clone, Copy)]
pub enum Applier {
    /// The batch, for a suggestion at or above the auto-apply threshold.
    Auto,
    /// A reviewer approving (the value becomes theirs: autofill never overwrites it).
    Human(UserId),
}

/// What applying did.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// Written; the id of the person or organisation changed (created, for a new person), and the
    /// field's value before (set_field).
    Done {
        entity_id: i64,
        before: Option<String>,
    },
    /// Not written automatically: the suggestion waits for a reviewer (the reason says why).
    NeedsReview(&'static str),
}

/// Why a suggestion cannot be applied at all.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// The record changed so that the suggestion no longer makes sense (deleted, already exists).
    #[error("{0}")]
    Stale(&'static str),
    /// The (edited) value is not acceptable for the field.
    #[error("{0}")]
    Invalid(String),
}

impl From<diesel::result::Error> for ApplyError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

/// Waits for autofill's turn to write, until the end of the current transaction: the batch's chunks and
/// web enrichment write suggestions and apply them one transaction at a time (a transaction-scoped
/// advisory lock), so concurrent writers never deadlock on each other's dedupe keys and rows.
pub fn take_turn(conn: &mut PgConnection) -> Result<(), DbError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('crm.autofill.write'))")
        .execute(conn)?;
    Ok(())
}

/// The source mark autofill leaves on the fields it writes.
pub fn source_mark(source: &str) -> String {
    format!("autofill:{source}")
}

/// Applies `s` with `value` (the suggestion's own, or a reviewer's edit).
pub fn apply(
    conn: &mut PgConnection,
    s: &Suggestion,
    value: &Value,
    by: Applier,
) -> Result<Applied, ApplyError> {
    let mark = match by {
        Applier::Auto => Some(source_mark(&s.source)),
        Applier::Human(_) => None,
    };
    match s.action {
        SuggestionAction::SetField => set_field(conn, s, value, mark.as_deref()),
        SuggestionAction::CreatePerson => create_person(conn, value, mark.as_deref()),
        SuggestionAction::LinkOrganisation => link(conn, s, value, mark.is_some()),
    }
}

#[derive(QueryableByName)]
struct Current {
    #[diesel(sql_type = Nullable<Text>)]
    value: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    source: Option<String>,
}

/// A field value: a non-empty string of at most the field's length.
fn text_value(field: Field, value: &Value) -> Result<String, ApplyError> {
    let text = value
        .as_str()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApplyError::Invalid("the value must be a non-empty string".into()))?;
    if text.chars().count() > field.max_len() {
        return Err(ApplyError::Invalid(format!(
            "the value is longer than {} characters",
            field.max_len()
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(ApplyError::Invalid(
            "the value holds control characters".into(),
        ));
    }
    Ok(text.to_owned())
}

fn set_field(
    conn: &mut PgConnection,
    s: &Suggestion,
    value: &Value,
    mark: Option<&str>,
) -> Result<Applied, ApplyError> {
    let field = Field::find(s.entity_type, &s.field)
        .ok_or_else(|| ApplyError::Invalid(format!("`{}` is not a writable field", s.field)))?;
    let id = s
        .entity_id
        .ok_or_else(|| ApplyError::Invalid("the suggestion names no record".into()))?;
    let text = text_value(field, value)?;
    let (table, column) = (field.table(), field.column());
    let current: Option<Current> = diesel::sql_query(format!(
        "SELECT {column}::text AS value, field_sources->>$1 AS source FROM {table} WHERE id = $2 FOR UPDATE"
    ))
    .bind::<Text, _>(field.name())
    .bind::<BigInt, _>(id)
    .get_result(conn)
    .optional()?;
    let current = current.ok_or(ApplyError::Stale("the record no longer exists"))?;
    if let Some(mark) = mark {
        let empty = current.value.as_deref().is_none_or(|v| v.trim().is_empty());
        if !empty && current.source.as_deref() != Some(mark) {
            return Ok(Applied::NeedsReview(
                "the field holds a value a person entered",
            ));
        }
    }
    diesel::sql_query(format!(
        "UPDATE {table} SET {column} = $1, field_sources = CASE WHEN $2::text IS NULL \
         THEN field_sources - $3 ELSE field_sources || jsonb_build_object($3, $2::text) END WHERE id = $4"
    ))
    .bind::<Text, _>(&text)
    .bind::<Nullable<Text>, _>(mark)
    .bind::<Text, _>(field.name())
    .bind::<BigInt, _>(id)
    .execute(conn)?;
    Ok(Applied::Done {
        entity_id: id,
        before: current.value,
    })
}

fn opt_text(value: &Value, key: &str, max: usize) -> Result<Option<String>, ApplyError> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max && !s.chars().any(char::is_control) => {
            Ok(Some(s.trim().to_owned()))
        }
        Some(_) => Err(ApplyError::Invalid(format!(
            "`{key}` must be a string of at most {max} characters"
        ))),
    }
}

fn organisation_id(value: &Value) -> Result<Option<OrganisationId>, ApplyError> {
    match value.get("organisation_id") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .filter(|id| *id > 0)
            .map(|id| Some(OrganisationId(id)))
            .ok_or_else(|| {
                ApplyError::Invalid("`organisation_id` must be a positive integer".into())
            }),
    }
}

fn organisation_exists(conn: &mut PgConnection, id: OrganisationId) -> Result<bool, ApplyError> {
    use shared::schema::organisations::dsl as o;
    Ok(diesel::select(diesel::dsl::exists(o::organisations.find(id))).get_result(conn)?)
}

/// The person whose address is `email`, if any.
pub fn person_by_email(conn: &mut PgConnection, email: &str) -> Result<Option<PersonId>, DbError> {
    use shared::schema::people::dsl as p;
    Ok(p::people
        .filter(lower(p::email).eq(email.to_lowercase()))
        .select(p::id)
        .first::<PersonId>(conn)
        .optional()?)
}

fn create_person(
    conn: &mut PgConnection,
    value: &Value,
    mark: Option<&str>,
) -> Result<Applied, ApplyError> {
    let required = |key: &str| {
        opt_text(value, key, 200)?
            .ok_or_else(|| ApplyError::Invalid(format!("`{key}` is required")))
    };
    let (first, last, email) = (
        required("first_name")?,
        required("last_name")?,
        required("email")?,
    );
    if !email.contains('@') {
        return Err(ApplyError::Invalid("`email` is not an address".into()));
    }
    if person_by_email(conn, &email)?.is_some() {
        return Err(ApplyError::Stale(
            "a person with this address exists already",
        ));
    }
    let mut new = NewPerson::new(first, last);
    new.email = Some(email.to_lowercase());
    new.title = opt_text(value, "title", Field::PersonTitle.max_len())?;
    new.phone = opt_text(value, "phone", 50)?;
    new.mobile = opt_text(value, "mobile", 50)?;
    new.linkedin = opt_text(value, "linkedin", Field::PersonLinkedin.max_len())?;
    let org = match value.get("organisation") {
        Some(o) if !o.is_null() => organisation_id(o)?,
        _ => None,
    };
    if let Some(org) = org
        && !organisation_exists(conn, org)?
    {
        return Err(ApplyError::Stale("the organisation no longer exists"));
    }
    let created = person::create_person(conn, &new)?;
    if let Some(mark) = mark {
        let filled: Vec<&str> = [
            ("title", &new.title),
            ("phone", &new.phone),
            ("mobile", &new.mobile),
            ("linkedin", &new.linkedin),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| k)
        .collect();
        diesel::sql_query(
            "UPDATE people SET field_sources = \
             (SELECT coalesce(jsonb_object_agg(f, $1::text), '{}') FROM unnest($2::text[]) AS f) WHERE id = $3",
        )
        .bind::<Text, _>(mark)
        .bind::<diesel::sql_types::Array<Text>, _>(&filled)
        .bind::<BigInt, _>(created.id.0)
        .execute(conn)?;
    }
    if let Some(org) = org {
        person_link::set_primary_organisation(conn, created.id, org)?;
    }
    // The sender's stored emails now belong to them.
    {
        use shared::schema::interactions::dsl as i;
        diesel::update(
            i::interactions
                .filter(lower(i::from_address).eq(email.to_lowercase()))
                .filter(i::person_id.is_null())
                .filter(i::direction.eq("inbound")),
        )
        .set(i::person_id.eq(created.id))
        .execute(conn)?;
    }
    Ok(Applied::Done {
        entity_id: created.id.0,
        before: None,
    })
}

fn link(
    conn: &mut PgConnection,
    s: &Suggestion,
    value: &Value,
    auto: bool,
) -> Result<Applied, ApplyError> {
    let person = s
        .entity_id
        .filter(|_| s.entity_type == EntityType::Person)
        .map(PersonId)
        .ok_or_else(|| ApplyError::Invalid("the suggestion names no person".into()))?;
    let org = organisation_id(value)?
        .ok_or_else(|| ApplyError::Invalid("`organisation_id` is required".into()))?;
    if person::find_person(conn, person)?.is_none() {
        return Err(ApplyError::Stale("the person no longer exists"));
    }
    if !organisation_exists(conn, org)? {
        return Err(ApplyError::Stale("the organisation no longer exists"));
    }
    let existing = person_link::organisations_of_person(conn, person)?;
    if auto && !existing.is_empty() {
        return Ok(Applied::NeedsReview(
            "the person already has an organisation",
        ));
    }
    if existing.is_empty() {
        person_link::set_primary_organisation(conn, person, org)?;
    } else {
        person_link::link_person(conn, person, org, None)?;
    }
    Ok(Applied::Done {
        entity_id: person.0,
        before: None,
    })
}
