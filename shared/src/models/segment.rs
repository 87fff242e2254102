//! Audiences: a segment is the people matching its filters (over people and the organisations they are
//! linked to) plus a manual list. One database function, `segment_audience(segment)`, decides who is in,
//! for the API's preview and for enrolment at launch alike; [`SegmentFilter`] is the filters' shape,
//! checked when a segment is saved.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::UserId;
use super::organisation::{OrgType, PipelineStage};
use crate::db::DbError;
use crate::schema::{segment_members as sm, segments as sg};

id_newtype!(
    /// Id of a row of `segments`.
    SegmentId
);

/// A row of `segments`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = sg, check_for_backend(diesel::pg::Pg))]
pub struct Segment {
    #[schema(value_type = i64)]
    pub id: SegmentId,
    pub name: String,
    /// `None`: the manual list only.
    #[schema(value_type = Option<SegmentFilter>)]
    pub filters: Option<serde_json::Value>,
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Filters of a segment. Every field narrows (AND); the values of one list are alternatives (OR); an empty
/// filter is everyone with an address. Organisation criteria hold when one of the person's organisations
/// (their primary one with `primary_only`) meets them all.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields, default)]
pub struct SegmentFilter {
    #[schema(value_type = Vec<String>)]
    pub org_types: Vec<OrgType>,
    #[schema(value_type = Vec<String>)]
    pub pipeline_stages: Vec<PipelineStage>,
    pub categories: Vec<String>,
    /// Case-insensitive.
    pub cities: Vec<String>,
    /// Case-insensitive.
    pub countries: Vec<String>,
    /// Organisations owned by these users.
    pub owner_ids: Vec<i64>,
    /// The person's title contains this (case-insensitive).
    pub title_contains: Option<String>,
    pub primary_only: bool,
}

/// Why a filter is refused (the API's 400 names the field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FilterError {
    pub field: &'static str,
    pub message: &'static str,
}

impl SegmentFilter {
    /// Caps the sizes (50 values a list, 100 characters a value).
    pub fn validate(&self) -> Result<(), FilterError> {
        let lists: [(&'static str, Vec<&str>); 3] = [
            (
                "categories",
                self.categories.iter().map(String::as_str).collect(),
            ),
            ("cities", self.cities.iter().map(String::as_str).collect()),
            (
                "countries",
                self.countries.iter().map(String::as_str).collect(),
            ),
        ];
        for (field, values) in lists {
            if values.len() > 50 {
                return Err(FilterError {
                    field,
                    message: "at most 50 values",
                });
            }
            if values
                .iter()
                .any(|v| v.trim().is_empty() || v.chars().count() > 100)
            {
                return Err(FilterError {
                    field,
                    message: "values of 1 to 100 characters",
                });
            }
        }
        if self.org_types.len() > 50 || self.pipeline_stages.len() > 50 || self.owner_ids.len() > 50
        {
            return Err(FilterError {
                field: "filters",
                message: "at most 50 values a list",
            });
        }
        if self
            .title_contains
            .as_ref()
            .is_some_and(|t| t.trim().is_empty() || t.chars().count() > 100)
        {
            return Err(FilterError {
                field: "title_contains",
                message: "1 to 100 characters",
            });
        }
        Ok(())
    }
}

pub fn find(conn: &mut PgConnection, id: SegmentId) -> Result<Option<Segment>, DbError> {
    Ok(sg::table
        .find(id)
        .select(Segment::as_select())
        .first(conn)
        .optional()?)
}

/// How many people segment `id` reaches now (the database's `segment_audience`, the same function
/// enrolment reads), and up to `sample` of their ids.
pub fn preview(
    conn: &mut PgConnection,
    id: SegmentId,
    sample: i64,
) -> Result<(i64, Vec<i64>), DbError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    #[derive(QueryableByName)]
    struct Person {
        #[diesel(sql_type = BigInt)]
        person_id: i64,
    }
    let n = diesel::sql_query("SELECT count(*) AS n FROM segment_audience($1)")
        .bind::<BigInt, _>(id.0)
        .get_result::<Count>(conn)?;
    let ids =
        diesel::sql_query("SELECT person_id FROM segment_audience($1) ORDER BY person_id LIMIT $2")
            .bind::<BigInt, _>(id.0)
            .bind::<BigInt, _>(sample)
            .load::<Person>(conn)?;
    Ok((n.n, ids.into_iter().map(|r| r.person_id).collect()))
}

/// Insert and update form of [`Segment`].
#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset)]
#[diesel(table_name = sg, treat_none_as_null = true)]
pub struct SegmentFields {
    pub name: String,
    /// A [`SegmentFilter`] as JSON; `None`: the manual list only.
    pub filters: Option<serde_json::Value>,
}

/// Segments, newest first.
pub fn list(
    conn: &mut PgConnection,
    before: Option<SegmentId>,
    limit: i64,
) -> Result<Vec<Segment>, DbError> {
    let mut q = sg::table
        .select(Segment::as_select())
        .order(sg::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(sg::id.lt(before));
    }
    Ok(q.load(conn)?)
}

/// Creates a segment owned by `owner` with `members` as its manual list.
pub fn create(
    conn: &mut PgConnection,
    fields: &SegmentFields,
    owner: UserId,
    members: &[i64],
) -> Result<Segment, DbError> {
    conn.transaction(|conn| {
        let segment = diesel::insert_into(sg::table)
            .values((fields, sg::owner_id.eq(owner)))
            .returning(Segment::as_returning())
            .get_result(conn)?;
        add_members(conn, segment.id, members)?;
        Ok(segment)
    })
}

/// Replaces a segment's name and filters, and its manual list when `members` is given; `None` when there
/// is no such segment.
pub fn update(
    conn: &mut PgConnection,
    id: SegmentId,
    fields: &SegmentFields,
    members: Option<&[i64]>,
) -> Result<Option<Segment>, DbError> {
    conn.transaction(|conn| {
        let Some(segment) = diesel::update(sg::table.find(id))
            .set(fields)
            .returning(Segment::as_returning())
            .get_result(conn)
            .optional()?
        else {
            return Ok(None);
        };
        if let Some(members) = members {
            diesel::delete(sm::table.filter(sm::segment_id.eq(id))).execute(conn)?;
            add_members(conn, id, members)?;
        }
        Ok(Some(segment))
    })
}

/// The segment's owner: `None` when there is no such segment, `Some(None)` when its owner was deleted.
pub fn owner_of(conn: &mut PgConnection, id: SegmentId) -> Result<Option<Option<UserId>>, DbError> {
    Ok(sg::table
        .find(id)
        .select(sg::owner_id)
        .first::<Option<UserId>>(conn)
        .optional()?)
}

/// Deletes a segment unless a campaign uses it (the foreign key decides).
pub fn delete(
    conn: &mut PgConnection,
    id: SegmentId,
) -> Result<super::campaign::Deletion, DbError> {
    use super::campaign::Deletion;
    match diesel::delete(sg::table.find(id))
        .execute(conn)
        .map_err(DbError::from)
    {
        Ok(0) => Ok(Deletion::NotFound),
        Ok(_) => Ok(Deletion::Deleted),
        Err(DbError::ForeignKeyViolation { .. }) => Ok(Deletion::InUse),
        Err(e) => Err(e),
    }
}

/// How many people the segment's manual list holds.
pub fn member_count(conn: &mut PgConnection, id: SegmentId) -> Result<i64, DbError> {
    Ok(sm::table
        .filter(sm::segment_id.eq(id))
        .count()
        .get_result(conn)?)
}

/// Adds people to the manual list (those already on it are left); how many were added.
pub fn add_members(
    conn: &mut PgConnection,
    id: SegmentId,
    people: &[i64],
) -> Result<usize, DbError> {
    if people.is_empty() {
        return Ok(0);
    }
    let rows: Vec<_> = people
        .iter()
        .map(|p| (sm::segment_id.eq(id), sm::person_id.eq(*p)))
        .collect();
    let mut added = 0;
    // Postgres binds at most 65,535 parameters a statement: two a row.
    for chunk in rows.chunks(10_000) {
        added += diesel::insert_into(sm::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    Ok(added)
}

/// Removes people from the manual list; how many were on it.
pub fn remove_members(
    conn: &mut PgConnection,
    id: SegmentId,
    people: &[i64],
) -> Result<usize, DbError> {
    Ok(diesel::delete(
        sm::table
            .filter(sm::segment_id.eq(id))
            .filter(sm::person_id.eq_any(people)),
    )
    .execute(conn)?)
}

/// The index in `people` of the first id that is no person, if any.
pub fn first_missing_person(
    conn: &mut PgConnection,
    people: &[i64],
) -> Result<Option<usize>, DbError> {
    use crate::schema::people as p;
    if people.is_empty() {
        return Ok(None);
    }
    let found: std::collections::HashSet<i64> = p::table
        .filter(p::id.eq_any(people))
        .select(p::id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    Ok(people.iter().position(|id| !found.contains(id)))
}
