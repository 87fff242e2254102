//! People (contacts) of the CRM; their ties to organisations live in [`super::person_link`].

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::PersonId;
use super::sql::lower_nullable;
use crate::db::DbError;
use crate::schema::people;

/// A row of `people`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = people, check_for_backend(diesel::pg::Pg))]
pub struct Person {
    pub id: PersonId,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub title: Option<String>,
    pub linkedin: Option<String>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Insert form of [`Person`].
#[derive(Debug, Clone, Default, Insertable, serde::Deserialize)]
#[diesel(table_name = people)]
pub struct NewPerson {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub title: Option<String>,
    pub linkedin: Option<String>,
    pub notes: Option<String>,
}

impl NewPerson {
    /// A new person with only a name.
    pub fn new(first_name: impl Into<String>, last_name: impl Into<String>) -> Self {
        Self {
            first_name: first_name.into(),
            last_name: last_name.into(),
            ..Self::default()
        }
    }
}

/// Partial update of a person: `None` leaves a column unchanged.
#[derive(Debug, Clone, Default, AsChangeset, serde::Deserialize)]
#[diesel(table_name = people)]
pub struct PersonChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub title: Option<String>,
    pub linkedin: Option<String>,
    pub notes: Option<String>,
}

/// Inserts a person.
pub fn create_person(conn: &mut PgConnection, new: &NewPerson) -> Result<Person, DbError> {
    Ok(diesel::insert_into(people::table)
        .values(new)
        .returning(Person::as_returning())
        .get_result(conn)?)
}

/// Finds a person by id.
pub fn find_person(conn: &mut PgConnection, id: PersonId) -> Result<Option<Person>, DbError> {
    Ok(people::table
        .find(id)
        .select(Person::as_select())
        .first(conn)
        .optional()?)
}

/// People with that email, ignoring case (emails are not unique among contacts), oldest first.
pub fn find_people_by_email(conn: &mut PgConnection, email: &str) -> Result<Vec<Person>, DbError> {
    Ok(people::table
        .filter(lower_nullable(people::email).eq(email.trim().to_lowercase()))
        .order(people::id.asc())
        .select(Person::as_select())
        .load(conn)?)
}

/// Applies `changes` and returns the updated row ([`DbError::NotFound`] when the id is unknown).
pub fn update_person(
    conn: &mut PgConnection,
    id: PersonId,
    changes: &PersonChanges,
) -> Result<Person, DbError> {
    Ok(diesel::update(people::table.find(id))
        .set(changes)
        .returning(Person::as_returning())
        .get_result(conn)?)
}

/// Deletes a person (their organisation links go with them); false when they did not exist.
pub fn delete_person(conn: &mut PgConnection, id: PersonId) -> Result<bool, DbError> {
    Ok(diesel::delete(people::table.find(id)).execute(conn)? > 0)
}
