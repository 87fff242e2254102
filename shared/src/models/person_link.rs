//! Links between people and organisations: a role there, and at most one primary organisation per person
//! (enforced by the partial unique index `person_organisation_links_one_primary_key`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::organisation::Organisation;
use super::person::Person;
use super::{LinkId, OrganisationId, PersonId};
use crate::db::DbError;
use crate::schema::{organisations, people, person_organisation_links as links};

/// A row of `person_organisation_links`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = links, check_for_backend(diesel::pg::Pg))]
pub struct PersonOrganisationLink {
    pub id: LinkId,
    pub person_id: PersonId,
    pub organisation_id: OrganisationId,
    /// The person's role or title in the organisation.
    pub role: Option<String>,
    pub is_primary: bool,
    pub created_at: DateTime<Utc>,
}

/// Insert form of [`PersonOrganisationLink`].
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = links)]
pub struct NewPersonOrganisationLink<'a> {
    pub person_id: PersonId,
    pub organisation_id: OrganisationId,
    pub role: Option<&'a str>,
    pub is_primary: bool,
}

/// Inserts a link as given; a duplicate pair or a second primary gives [`DbError::UniqueViolation`].
pub fn insert_link(
    conn: &mut PgConnection,
    new: &NewPersonOrganisationLink<'_>,
) -> Result<PersonOrganisationLink, DbError> {
    Ok(diesel::insert_into(links::table)
        .values(new)
        .returning(PersonOrganisationLink::as_returning())
        .get_result(conn)?)
}

/// Links a person to an organisation with a role, or updates the role of an existing link (idempotent).
/// The primary flag is left as it was.
pub fn link_person(
    conn: &mut PgConnection,
    person: PersonId,
    organisation: OrganisationId,
    role: Option<&str>,
) -> Result<PersonOrganisationLink, DbError> {
    let new = NewPersonOrganisationLink {
        person_id: person,
        organisation_id: organisation,
        role,
        is_primary: false,
    };
    Ok(diesel::insert_into(links::table)
        .values(&new)
        .on_conflict((links::person_id, links::organisation_id))
        .do_update()
        .set(links::role.eq(role))
        .returning(PersonOrganisationLink::as_returning())
        .get_result(conn)?)
}

/// Makes `organisation` the person's primary organisation (linking them if needed) and clears the flag on
/// their other links, in one transaction.
pub fn set_primary_organisation(
    conn: &mut PgConnection,
    person: PersonId,
    organisation: OrganisationId,
) -> Result<PersonOrganisationLink, DbError> {
    conn.transaction(|conn| {
        diesel::update(
            links::table
                .filter(links::person_id.eq(person))
                .filter(links::organisation_id.ne(organisation))
                .filter(links::is_primary),
        )
        .set(links::is_primary.eq(false))
        .execute(conn)?;
        let new = NewPersonOrganisationLink {
            person_id: person,
            organisation_id: organisation,
            role: None,
            is_primary: true,
        };
        Ok(diesel::insert_into(links::table)
            .values(&new)
            .on_conflict((links::person_id, links::organisation_id))
            .do_update()
            .set(links::is_primary.eq(true))
            .returning(PersonOrganisationLink::as_returning())
            .get_result(conn)?)
    })
}

/// Removes the link between a person and an organisation; false when there was none.
pub fn unlink_person(
    conn: &mut PgConnection,
    person: PersonId,
    organisation: OrganisationId,
) -> Result<bool, DbError> {
    let deleted = diesel::delete(
        links::table
            .filter(links::person_id.eq(person))
            .filter(links::organisation_id.eq(organisation)),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}

/// The organisations of a person with their links, primary first, then by name.
pub fn organisations_of_person(
    conn: &mut PgConnection,
    person: PersonId,
) -> Result<Vec<(PersonOrganisationLink, Organisation)>, DbError> {
    Ok(links::table
        .inner_join(organisations::table)
        .filter(links::person_id.eq(person))
        .order((links::is_primary.desc(), organisations::name.asc()))
        .select((
            PersonOrganisationLink::as_select(),
            Organisation::as_select(),
        ))
        .load(conn)?)
}

/// The person's primary organisation, if one is set.
pub fn primary_organisation(
    conn: &mut PgConnection,
    person: PersonId,
) -> Result<Option<Organisation>, DbError> {
    Ok(links::table
        .inner_join(organisations::table)
        .filter(links::person_id.eq(person))
        .filter(links::is_primary)
        .select(Organisation::as_select())
        .first(conn)
        .optional()?)
}

/// The people of an organisation with their links, by last then first name.
pub fn people_of_organisation(
    conn: &mut PgConnection,
    organisation: OrganisationId,
) -> Result<Vec<(PersonOrganisationLink, Person)>, DbError> {
    Ok(links::table
        .inner_join(people::table)
        .filter(links::organisation_id.eq(organisation))
        .order((people::last_name.asc(), people::first_name.asc()))
        .select((PersonOrganisationLink::as_select(), Person::as_select()))
        .load(conn)?)
}
