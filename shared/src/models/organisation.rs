//! Organisations of the CRM: investors, distributors, issuers and suppliers, with their pipeline stage.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::sql::lower;
use super::{OrganisationId, UserId};
use crate::db::DbError;
use crate::schema::organisations;

text_enum! {
    /// Kind of organisation.
    pub enum OrgType ("organisation type") {
        Investor => "investor",
        Distributor => "distributor",
        Issuer => "issuer",
        Supplier => "supplier",
    }
}

text_enum! {
    /// Commercial pipeline, in the order an organisation moves through it.
    #[derive(PartialOrd, Ord)]
    pub enum PipelineStage ("pipeline stage") {
        Prospect => "prospect",
        Qualification => "qualification",
        Proposition => "proposition",
        Signed => "signed",
    }
}

/// A row of `organisations`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = organisations, check_for_backend(diesel::pg::Pg))]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub org_type: OrgType,
    pub category: Option<String>,
    pub pipeline_stage: PipelineStage,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub linkedin: Option<String>,
    pub notes: Option<String>,
    pub owner_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Insert form of [`Organisation`]; `pipeline_stage` left `None` takes the column default (`prospect`).
#[derive(Debug, Clone, Insertable, serde::Deserialize)]
#[diesel(table_name = organisations)]
pub struct NewOrganisation {
    pub name: String,
    pub org_type: OrgType,
    pub category: Option<String>,
    pub pipeline_stage: Option<PipelineStage>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub linkedin: Option<String>,
    pub notes: Option<String>,
    pub owner_id: Option<UserId>,
}

impl NewOrganisation {
    /// A new organisation with only its required fields.
    pub fn new(name: impl Into<String>, org_type: OrgType) -> Self {
        Self {
            name: name.into(),
            org_type,
            category: None,
            pipeline_stage: None,
            website: None,
            email: None,
            phone: None,
            address: None,
            city: None,
            country: None,
            linkedin: None,
            notes: None,
            owner_id: None,
        }
    }
}

/// Partial update of an organisation: `None` leaves a column unchanged.
#[derive(Debug, Clone, Default, AsChangeset, serde::Deserialize)]
#[diesel(table_name = organisations)]
pub struct OrganisationChanges {
    pub name: Option<String>,
    pub org_type: Option<OrgType>,
    pub category: Option<String>,
    pub pipeline_stage: Option<PipelineStage>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub linkedin: Option<String>,
    pub notes: Option<String>,
    pub owner_id: Option<UserId>,
}

/// Inserts an organisation.
pub fn create_organisation(
    conn: &mut PgConnection,
    new: &NewOrganisation,
) -> Result<Organisation, DbError> {
    Ok(diesel::insert_into(organisations::table)
        .values(new)
        .returning(Organisation::as_returning())
        .get_result(conn)?)
}

/// Finds an organisation by id.
pub fn find_organisation(
    conn: &mut PgConnection,
    id: OrganisationId,
) -> Result<Option<Organisation>, DbError> {
    Ok(organisations::table
        .find(id)
        .select(Organisation::as_select())
        .first(conn)
        .optional()?)
}

/// Applies `changes` and returns the updated row ([`DbError::NotFound`] when the id is unknown).
pub fn update_organisation(
    conn: &mut PgConnection,
    id: OrganisationId,
    changes: &OrganisationChanges,
) -> Result<Organisation, DbError> {
    Ok(diesel::update(organisations::table.find(id))
        .set(changes)
        .returning(Organisation::as_returning())
        .get_result(conn)?)
}

/// Moves an organisation to another pipeline stage.
pub fn set_pipeline_stage(
    conn: &mut PgConnection,
    id: OrganisationId,
    stage: PipelineStage,
) -> Result<Organisation, DbError> {
    Ok(diesel::update(organisations::table.find(id))
        .set(organisations::pipeline_stage.eq(stage))
        .returning(Organisation::as_returning())
        .get_result(conn)?)
}

/// Organisations whose name contains `fragment` (case-insensitive), by name, at most `limit`.
pub fn search_organisations(
    conn: &mut PgConnection,
    fragment: &str,
    limit: i64,
) -> Result<Vec<Organisation>, DbError> {
    let pattern = format!("%{}%", escape_like(&fragment.to_lowercase()));
    Ok(organisations::table
        .filter(lower(organisations::name).like(pattern).escape('\\'))
        .order((organisations::name.asc(), organisations::id.asc()))
        .limit(limit)
        .select(Organisation::as_select())
        .load(conn)?)
}

/// Organisations at a pipeline stage, newest first.
pub fn list_by_stage(
    conn: &mut PgConnection,
    stage: PipelineStage,
    limit: i64,
) -> Result<Vec<Organisation>, DbError> {
    Ok(organisations::table
        .filter(organisations::pipeline_stage.eq(stage))
        .order(organisations::id.desc())
        .limit(limit)
        .select(Organisation::as_select())
        .load(conn)?)
}

/// Deletes an organisation (its person links go with it); false when it did not exist.
pub fn delete_organisation(conn: &mut PgConnection, id: OrganisationId) -> Result<bool, DbError> {
    Ok(diesel::delete(organisations::table.find(id)).execute(conn)? > 0)
}

/// Escapes LIKE wildcards so user input matches literally.
fn escape_like(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
