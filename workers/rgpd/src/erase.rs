//! Erasure: anonymise the records that must be kept (a person's row and their emails, as history of the
//! relationship), delete what nothing requires keeping (bodies, signatures and analyses, suggestions,
//! form choices, mailboxes and their credentials, export archives). Set-based statements over at most
//! `chunk` rows each, every one its own short transaction: a long erasure never holds long locks, and an
//! interrupted one is finished by running it again (every step is idempotent), which the ledger, written
//! first, guarantees.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use shared::db::DbError;
use shared::models::rgpd_request::{self, SubjectType};

use crate::subject::Identifiers;

/// Rows changed per table (`interactions`, `people`...), the job's result and the request's record.
pub type EraseCounts = BTreeMap<&'static str, usize>;

fn add(counts: &mut EraseCounts, table: &'static str, n: usize) {
    *counts.entry(table).or_default() += n;
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Ids of the emails that name the subjects: linked to a person of `people`, or from, to or copied to one
/// of `emails` (stored addresses are lower-case). Each part goes through its own index (the To/Cc part
/// looks each address up in the GIN indexes), so the cost follows the subjects' mail, not the table's size.
fn interactions_of(
    conn: &mut PgConnection,
    people: &[i64],
    emails: &[String],
) -> Result<Vec<i64>, DbError> {
    let rows: Vec<Id> = diesel::sql_query(
        "SELECT id FROM interactions WHERE person_id = ANY($1) \
         UNION SELECT id FROM interactions WHERE lower(from_address) = ANY($2) \
         UNION SELECT i.id FROM unnest($2::text[]) e(address) CROSS JOIN LATERAL ( \
           SELECT id FROM interactions WHERE to_addresses @> ARRAY[e.address] \
           UNION ALL SELECT id FROM interactions WHERE cc_addresses @> ARRAY[e.address]) i \
         ORDER BY 1",
    )
    .bind::<Array<BigInt>, _>(people)
    .bind::<Array<Text>, _>(emails)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Anonymises the people of `ids`: their emails lose body, subject and the person's addresses and name;
/// their analyses, suggestions and export archives are deleted, and their row keeps only a pseudonym, or
/// is deleted when no email refers to it (nothing to keep).
/// `idents` are the union of their identifiers, read before (see [`crate::subject::of`]).
pub fn people(
    conn: &mut PgConnection,
    ids: &[i64],
    idents: &Identifiers,
    chunk: usize,
) -> Result<EraseCounts, DbError> {
    let mut counts = EraseCounts::new();
    let touched = interactions_of(conn, ids, &idents.emails)?;
    for part in touched.chunks(chunk.max(1)) {
        clear_interactions(conn, part, ids, &idents.emails, true, &mut counts)?;
    }
    let values: Vec<String> = idents.all().cloned().collect();
    for part in ids.chunks(chunk.max(1)) {
        add(
            &mut counts,
            "autofill_suggestions",
            diesel::sql_query(
                "DELETE FROM autofill_suggestions WHERE entity_type = 'person' AND entity_id = ANY($1)",
            )
            .bind::<Array<BigInt>, _>(part)
            .execute(conn)?,
        );
        // Tasks about the person (their titles and descriptions may name them).
        add(
            &mut counts,
            "tasks",
            diesel::sql_query("DELETE FROM tasks WHERE person_id = ANY($1)")
                .bind::<Array<BigInt>, _>(part)
                .execute(conn)?,
        );
        add(
            &mut counts,
            "rgpd_export_files",
            rgpd_request::delete_files_of(conn, SubjectType::Person, part)?,
        );
        add(
            &mut counts,
            "people",
            diesel::sql_query(
                "UPDATE people SET first_name = 'Contact', last_name = 'anonymisé ' || id, email = NULL, \
                 phone = NULL, mobile = NULL, title = NULL, linkedin = NULL, notes = NULL, \
                 field_sources = '{}', anonymised_at = COALESCE(anonymised_at, now()) WHERE id = ANY($1)",
            )
            .bind::<Array<BigInt>, _>(part)
            .execute(conn)?,
        );
        // A person no email refers to has no history to keep: the row goes (with its links).
        add(
            &mut counts,
            "people_deleted",
            diesel::sql_query(
                "DELETE FROM people p WHERE p.id = ANY($1) \
                 AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.person_id = p.id)",
            )
            .bind::<Array<BigInt>, _>(part)
            .execute(conn)?,
        );
    }
    forget_values(conn, &values, &idents.emails, &mut counts)?;
    Ok(counts)
}

/// Anonymises the user accounts of `ids` (admins are skipped: an admin must be demoted first). The row
/// stays (ids in history point at it) without email, name or usable password, deactivated, its tokens
/// revoked; mailboxes and their credentials are deleted, form choices too; the users' addresses are
/// cleared from stored emails (the emails are the company's correspondence and keep their bodies).
pub fn users(
    conn: &mut PgConnection,
    ids: &[i64],
    idents: &Identifiers,
    chunk: usize,
) -> Result<EraseCounts, DbError> {
    let mut counts = EraseCounts::new();
    let ids: Vec<i64> = diesel::sql_query(
        "SELECT id FROM users WHERE id = ANY($1) AND role <> 'admin' ORDER BY id",
    )
    .bind::<Array<BigInt>, _>(ids)
    .load::<Id>(conn)?
    .into_iter()
    .map(|r| r.id)
    .collect();
    let touched = interactions_of(conn, &[], &idents.emails)?;
    for part in touched.chunks(chunk.max(1)) {
        clear_interactions(conn, part, &[], &idents.emails, false, &mut counts)?;
    }
    for part in ids.chunks(chunk.max(1)) {
        add(
            &mut counts,
            "ai_user_preferences",
            diesel::sql_query("DELETE FROM ai_user_preferences WHERE user_id = ANY($1)")
                .bind::<Array<BigInt>, _>(part)
                .execute(conn)?,
        );
        for (table, sql) in [
            (
                "notifications",
                "DELETE FROM notifications WHERE user_id = ANY($1)",
            ),
            (
                "notification_preferences",
                "DELETE FROM notification_preferences WHERE user_id = ANY($1)",
            ),
        ] {
            add(
                &mut counts,
                table,
                diesel::sql_query(sql)
                    .bind::<Array<BigInt>, _>(part)
                    .execute(conn)?,
            );
        }
        add(
            &mut counts,
            "email_accounts",
            diesel::sql_query("DELETE FROM email_accounts WHERE owner_user_id = ANY($1)")
                .bind::<Array<BigInt>, _>(part)
                .execute(conn)?,
        );
        add(
            &mut counts,
            "rgpd_export_files",
            rgpd_request::delete_files_of(conn, SubjectType::User, part)?,
        );
        add(
            &mut counts,
            "users",
            diesel::sql_query(
                "UPDATE users SET email = 'erased-' || id || '@invalid.invalid', display_name = NULL, \
                 password_hash = '!erased', active = false, token_version = token_version + 1, \
                 anonymised_at = COALESCE(anonymised_at, now()) WHERE id = ANY($1) AND role <> 'admin'",
            )
            .bind::<Array<BigInt>, _>(part)
            .execute(conn)?,
        );
    }
    let values: Vec<String> = idents.all().cloned().collect();
    forget_values(conn, &values, &idents.emails, &mut counts)?;
    Ok(counts)
}

/// Clears the subjects from the emails of `ids` (one statement each, one short transaction). With
/// `content`, the body, subject and thread subject go and the analyses are deleted; otherwise only the
/// subjects' addresses and their name as sender.
fn clear_interactions(
    conn: &mut PgConnection,
    ids: &[i64],
    people: &[i64],
    emails: &[String],
    content: bool,
    counts: &mut EraseCounts,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        let content_sql = if content {
            "body_text = NULL, body_purged_at = COALESCE(body_purged_at, now()), subject = NULL, "
        } else {
            ""
        };
        let sender = "(lower(from_address) = ANY($2) OR (person_id = ANY($3) AND direction = 'inbound'))";
        let sql = format!(
            "UPDATE interactions SET {content_sql}\
             from_name = CASE WHEN {sender} THEN NULL ELSE from_name END, \
             from_address = CASE WHEN {sender} THEN NULL ELSE from_address END, \
             to_addresses = ARRAY(SELECT a FROM unnest(to_addresses) a WHERE a <> ALL($2)), \
             cc_addresses = ARRAY(SELECT a FROM unnest(cc_addresses) a WHERE a <> ALL($2)) \
             WHERE id = ANY($1)"
        );
        add(
            counts,
            "interactions",
            diesel::sql_query(sql)
                .bind::<Array<BigInt>, _>(ids)
                .bind::<Array<Text>, _>(emails)
                .bind::<Array<BigInt>, _>(people)
                .execute(conn)?,
        );
        if content {
            add(
                counts,
                "email_threads",
                diesel::sql_query(
                    "UPDATE email_threads SET subject = '' WHERE subject <> '' AND id IN \
                     (SELECT thread_id FROM interactions WHERE id = ANY($1) AND thread_id IS NOT NULL)",
                )
                .bind::<Array<BigInt>, _>(ids)
                .execute(conn)?,
            );
            add(
                counts,
                "interaction_analyses",
                diesel::sql_query("DELETE FROM interaction_analyses WHERE interaction_id = ANY($1)")
                    .bind::<Array<BigInt>, _>(ids)
                    .execute(conn)?,
            );
            add(
                counts,
                "autofill_suggestions",
                diesel::sql_query("DELETE FROM autofill_suggestions WHERE interaction_id = ANY($1)")
                    .bind::<Array<BigInt>, _>(ids)
                    .execute(conn)?,
            );
        }
        Ok(())
    })
}

/// Deletes form choices whose values are the subjects' identifiers, and disables routing rules that
/// name their addresses.
fn forget_values(
    conn: &mut PgConnection,
    values: &[String],
    emails: &[String],
    counts: &mut EraseCounts,
) -> Result<(), DbError> {
    if values.is_empty() {
        return Ok(());
    }
    add(
        counts,
        "ai_user_preferences",
        diesel::sql_query(
            "DELETE FROM ai_user_preferences WHERE lower(final_value) = ANY($1) \
             OR lower(suggested_value) = ANY($1)",
        )
        .bind::<Array<Text>, _>(values)
        .execute(conn)?,
    );
    add(
        counts,
        "routing_rules",
        diesel::sql_query(
            "UPDATE routing_rules SET sender_pattern = NULL, active = false \
             WHERE lower(sender_pattern) = ANY($1)",
        )
        .bind::<Array<Text>, _>(emails)
        .execute(conn)?,
    );
    Ok(())
}
