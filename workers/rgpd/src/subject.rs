//! A data subject's identifiers: what names them in other rows (emails, phones, names), found before an
//! erasure to clear them everywhere, and hashed (keyed) into the ledger.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text};
use shared::db::DbError;
use shared::keyed_hash::{KeyedHasher, Purpose};
use shared::models::rgpd_request::SubjectType;

/// The identifiers of one subject, lower-cased and trimmed, without empties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identifiers {
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    /// Full names as written in the record ("jeanne martin").
    pub names: Vec<String>,
}

impl Identifiers {
    fn push(list: &mut Vec<String>, value: Option<String>) {
        if let Some(v) = value
            .map(|v| v.trim().to_lowercase())
            .filter(|v| !v.is_empty())
            && !list.contains(&v)
        {
            list.push(v);
        }
    }

    /// Every identifier, emails first.
    pub fn all(&self) -> impl Iterator<Item = &String> {
        self.emails.iter().chain(&self.phones).chain(&self.names)
    }

    /// Keyed hashes of every identifier, for the ledger.
    pub fn hashes(&self, hasher: &KeyedHasher) -> Vec<String> {
        self.all()
            .map(|v| hasher.hash(Purpose::ErasedIdentifier, v.as_bytes()))
            .collect()
    }

    /// Adds another subject's identifiers (a batch's union).
    pub fn extend(&mut self, other: &Identifiers) {
        for e in &other.emails {
            Self::push(&mut self.emails, Some(e.clone()));
        }
        for p in &other.phones {
            Self::push(&mut self.phones, Some(p.clone()));
        }
        for n in &other.names {
            Self::push(&mut self.names, Some(n.clone()));
        }
    }
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    emails: Vec<Option<String>>,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    phones: Vec<Option<String>>,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    names: Vec<Option<String>>,
}

/// The identifiers of each existing subject of `ids` (absent ids are left out).
pub fn of(
    conn: &mut PgConnection,
    subject: SubjectType,
    ids: &[i64],
) -> Result<Vec<(i64, Identifiers)>, DbError> {
    let sql = match subject {
        SubjectType::Person => {
            "SELECT id, ARRAY[email] AS emails, ARRAY[phone, mobile] AS phones, \
             ARRAY[first_name || ' ' || last_name, linkedin] AS names \
             FROM people WHERE id = ANY($1) ORDER BY id"
        }
        SubjectType::User => {
            "SELECT u.id, ARRAY[u.email] || COALESCE(array_agg(a.address) FILTER (WHERE a.id IS NOT NULL), '{}') \
             AS emails, '{}'::text[] AS phones, ARRAY[u.display_name] AS names \
             FROM users u LEFT JOIN email_accounts a ON a.owner_user_id = u.id \
             WHERE u.id = ANY($1) GROUP BY u.id ORDER BY u.id"
        }
    };
    let rows: Vec<Row> = diesel::sql_query(sql)
        .bind::<Array<BigInt>, _>(ids)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut idents = Identifiers::default();
            for e in r.emails {
                Identifiers::push(&mut idents.emails, e);
            }
            for p in r.phones {
                Identifiers::push(&mut idents.phones, p);
            }
            for n in r.names {
                Identifiers::push(&mut idents.names, n);
            }
            (r.id, idents)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_lowered_deduplicated_and_hashed_per_value() {
        let mut a = Identifiers::default();
        Identifiers::push(&mut a.emails, Some(" Jeanne@GPC.fr ".into()));
        Identifiers::push(&mut a.emails, Some("jeanne@gpc.fr".into()));
        Identifiers::push(&mut a.phones, Some(String::new()));
        Identifiers::push(&mut a.names, None);
        assert_eq!(a.emails, vec!["jeanne@gpc.fr"]);
        assert!(a.phones.is_empty());
        let h = KeyedHasher::new([1; 32]);
        assert_eq!(a.hashes(&h).len(), 1);
        let mut b = Identifiers::default();
        b.extend(&a);
        b.extend(&a);
        assert_eq!(b, a);
    }
}
