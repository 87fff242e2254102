//! Audiences of campaigns: a segment is the people matching its filters (`SegmentFilter`) plus a manual
//! list; `segment_audience` in the database decides who is in, for the preview here and the enrolment at
//! launch alike. Every signed-in user reads segments; their owner, managers and admins change them.

pub mod create;
pub mod delete;
pub mod list;
pub mod members_add;
pub mod members_remove;
pub mod preview;
pub mod show;
pub mod update;

use actix_web::web;
use serde::{Deserialize, Serialize};
use shared::db::run_blocking;
use shared::models::segment::{self as model, Segment, SegmentFields, SegmentFilter, SegmentId};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::routes::campaigns::check_name;
use crate::state::AppState;

/// Most people in one manual list given at once.
pub const MAX_PEOPLE: usize = 10_000;

/// Registers the routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/segments", web::get().to(list::list))
        .route("/segments", web::post().to(create::create))
        .route("/segments/{id}", web::get().to(show::show))
        .route("/segments/{id}", web::put().to(update::update))
        .route("/segments/{id}", web::delete().to(delete::delete))
        .route("/segments/{id}/preview", web::get().to(preview::preview))
        .route("/segments/{id}/members", web::post().to(members_add::add))
        .route(
            "/segments/{id}/members",
            web::delete().to(members_remove::remove),
        );
}

/// A segment as written.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentInput {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Who matches (every field narrows, the values of a list are alternatives; `{}` is everyone with an
    /// address); absent or `null`: the manual list only.
    #[serde(default)]
    pub filters: Option<SegmentFilter>,
    /// The manual list (people ids, at most 10,000), added to who the filters match. On `PUT`, absent
    /// keeps the list as it is and a list replaces it.
    #[serde(default)]
    #[schema(max_items = 10000)]
    pub person_ids: Option<Vec<i64>>,
}

/// A list of people.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeopleInput {
    /// 1 to 10,000 people ids.
    #[schema(min_items = 1, max_items = 10000)]
    pub person_ids: Vec<i64>,
}

/// A segment with the size of its manual list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SegmentView {
    #[serde(flatten)]
    pub segment: Segment,
    /// People on the manual list (who is reached: `GET /api/v1/segments/{id}/preview`).
    pub manual_members: i64,
}

/// The checked fields of `input`, and its manual list (`None`: not given).
pub(crate) async fn check(
    state: &AppState,
    input: SegmentInput,
) -> Result<(SegmentFields, Option<Vec<i64>>), ApiError> {
    let name = check_name("name", &input.name)?;
    let filters = match input.filters {
        None => None,
        Some(f) => {
            f.validate().map_err(|e| {
                let field = match e.field {
                    "filters" => "filters".to_owned(),
                    other => format!("filters.{other}"),
                };
                ApiError::invalid_field(field.clone(), format!("{field}: {}", e.message))
            })?;
            Some(
                serde_json::to_value(&f)
                    .map_err(|e| ApiError::Internal(anyhow::anyhow!("segment filters: {e}")))?,
            )
        }
    };
    let people = match input.person_ids {
        None => None,
        Some(ids) => Some(check_people(state, ids, true).await?),
    };
    Ok((SegmentFields { name, filters }, people))
}

/// Checks a list of people: at most 10,000 (at least one unless `may_be_empty`), each an existing person
/// (a 400 names the first missing one, `person_ids[i]`); returns it without duplicates.
pub(crate) async fn check_people(
    state: &AppState,
    ids: Vec<i64>,
    may_be_empty: bool,
) -> Result<Vec<i64>, ApiError> {
    if ids.len() > MAX_PEOPLE || (ids.is_empty() && !may_be_empty) {
        return Err(ApiError::invalid_field(
            "person_ids",
            format!(
                "person_ids must list {} to 10,000 people",
                if may_be_empty { 0 } else { 1 }
            ),
        ));
    }
    let (ids, missing) = run_blocking(&state.pool, move |c| {
        let missing = model::first_missing_person(c, &ids)?;
        Ok((ids, missing))
    })
    .await?;
    if let Some(i) = missing {
        return Err(ApiError::invalid_field(
            format!("person_ids[{i}]"),
            format!("person_ids[{i}]: no person {}", ids[i]),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    Ok(ids.into_iter().filter(|id| seen.insert(*id)).collect())
}

/// Checks that `user` may change segment `id`: 404 when there is none, 403 unless they own it or are a
/// manager or admin.
pub(crate) async fn writable(
    state: &AppState,
    user: &AuthUser,
    id: SegmentId,
) -> Result<(), ApiError> {
    let owner_of = move |c: &mut diesel::PgConnection| model::owner_of(c, id);
    crate::routes::owned::check_write(state, user, "segment", owner_of, not_found(id)).await
}

/// The segment with its manual list's size, or 404.
pub(crate) async fn view(state: &AppState, id: SegmentId) -> Result<SegmentView, ApiError> {
    run_blocking(&state.pool, move |c| {
        let Some(segment) = model::find(c, id)? else {
            return Ok(None);
        };
        let manual_members = model::member_count(c, id)?;
        Ok(Some(SegmentView {
            segment,
            manual_members,
        }))
    })
    .await?
    .ok_or_else(|| not_found(id))
}

pub(crate) fn not_found(id: SegmentId) -> ApiError {
    ApiError::not_found(format!("segment {id} not found"))
}
