//! `TEXT[]` columns read as `Vec<String>`: diesel types array elements as nullable, our columns never hold
//! NULL elements, so NULLs (should one appear) are dropped.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::{Array, Nullable, Text};

/// A `TEXT[]` value without NULL elements.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromSqlRow)]
pub struct TextList(pub Vec<String>);

impl FromSql<Array<Nullable<Text>>, Pg> for TextList {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let items = <Vec<Option<String>> as FromSql<Array<Nullable<Text>>, Pg>>::from_sql(bytes)?;
        Ok(Self(items.into_iter().flatten().collect()))
    }
}

impl From<TextList> for Vec<String> {
    fn from(list: TextList) -> Self {
        list.0
    }
}
