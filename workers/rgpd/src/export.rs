//! An export (Art. 15 access, Art. 20 portability): every row the database holds about a subject, table
//! by table, as one JSON document (machine-readable) and one CSV per table, in a zip. Credentials are left
//! out (a user's password hash, a mailbox's sealed secret): they are not the subject's data to hand over
//! but keys to it. Bodies are included as stored: `mail.cleanup` has already purged those past retention.

use std::collections::BTreeMap;
use std::io::{Cursor, Write};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Jsonb, Text};
use serde_json::Value;
use shared::db::DbError;
use shared::models::rgpd_request::SubjectType;

use crate::subject;

/// The rows of one subject, by table.
#[derive(Debug, Clone, PartialEq)]
pub struct Collected {
    pub subject_type: SubjectType,
    pub subject_id: i64,
    pub generated_at: DateTime<Utc>,
    pub tables: BTreeMap<&'static str, Vec<Value>>,
}

impl Collected {
    /// Rows per table.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        self.tables
            .iter()
            .map(|(t, rows)| (*t, rows.len()))
            .collect()
    }
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Jsonb)]
    row: Value,
}

/// One table's query: `$1` the subject id, `$2` its emails, `$3` every identifier, `$4` the ids of the
/// emails found.
struct Source {
    table: &'static str,
    sql: &'static str,
}

const PERSON: &[Source] = &[
    Source {
        table: "people",
        sql: "SELECT to_jsonb(t) AS row FROM people t WHERE id = $1",
    },
    Source {
        table: "person_organisation_links",
        sql: "SELECT to_jsonb(t) AS row FROM person_organisation_links t WHERE person_id = $1 ORDER BY id",
    },
    Source {
        table: "organisations",
        sql: "SELECT jsonb_build_object('id', o.id, 'name', o.name) AS row FROM organisations o \
              WHERE o.id IN (SELECT organisation_id FROM person_organisation_links WHERE person_id = $1) \
              ORDER BY o.id",
    },
    Source {
        table: "interactions",
        sql: "SELECT to_jsonb(t) AS row FROM interactions t WHERE id = ANY($4) ORDER BY id",
    },
    Source {
        table: "email_threads",
        sql: "SELECT to_jsonb(t) AS row FROM email_threads t WHERE id IN \
              (SELECT thread_id FROM interactions WHERE id = ANY($4)) ORDER BY id",
    },
    Source {
        table: "interaction_analyses",
        sql: "SELECT to_jsonb(t) AS row FROM interaction_analyses t WHERE interaction_id = ANY($4) \
              ORDER BY interaction_id",
    },
    Source {
        table: "autofill_suggestions",
        sql: "SELECT to_jsonb(t) AS row FROM autofill_suggestions t WHERE (entity_type = 'person' AND \
              entity_id = $1) OR interaction_id = ANY($4) ORDER BY id",
    },
    Source {
        table: "ai_user_preferences",
        sql: "SELECT to_jsonb(t) AS row FROM ai_user_preferences t WHERE lower(final_value) = ANY($3) \
              OR lower(suggested_value) = ANY($3) ORDER BY id",
    },
    Source {
        table: "routing_rules",
        sql: "SELECT to_jsonb(t) AS row FROM routing_rules t WHERE lower(sender_pattern) = ANY($2) ORDER BY id",
    },
    Source {
        table: "data_access_logs",
        sql: "SELECT to_jsonb(t) AS row FROM data_access_logs t WHERE (entity_type = 'person' AND \
              entity_id = $1) OR (entity_type = 'interaction' AND entity_id = ANY($4)) ORDER BY id",
    },
    Source {
        table: "rgpd_requests",
        sql: "SELECT to_jsonb(t) AS row FROM rgpd_requests t WHERE subject_type = 'person' AND \
              subject_id = $1 ORDER BY id",
    },
    Source {
        table: "tasks",
        sql: "SELECT to_jsonb(t) AS row FROM tasks t WHERE person_id = $1 ORDER BY id",
    },
    Source {
        table: "segment_members",
        sql: "SELECT to_jsonb(t) AS row FROM segment_members t WHERE person_id = $1 ORDER BY segment_id",
    },
    Source {
        table: "campaign_recipients",
        sql: "SELECT to_jsonb(t) AS row FROM campaign_recipients t WHERE person_id = $1 ORDER BY campaign_id",
    },
    Source {
        table: "campaign_sends",
        sql: "SELECT to_jsonb(t) AS row FROM campaign_sends t WHERE person_id = $1 ORDER BY id",
    },
    Source {
        table: "email_events",
        sql: "SELECT to_jsonb(t) AS row FROM email_events t WHERE send_id IN \
              (SELECT id FROM campaign_sends WHERE person_id = $1) ORDER BY id",
    },
];

const USER: &[Source] = &[
    Source {
        table: "users",
        sql: "SELECT to_jsonb(t) - 'password_hash' AS row FROM users t WHERE id = $1",
    },
    Source {
        table: "teams",
        sql: "SELECT to_jsonb(t) AS row FROM teams t WHERE id = (SELECT team_id FROM users WHERE id = $1)",
    },
    Source {
        table: "email_accounts",
        sql: "SELECT to_jsonb(t) - 'secret_ciphertext' AS row FROM email_accounts t \
              WHERE owner_user_id = $1 ORDER BY id",
    },
    Source {
        table: "email_folder_state",
        sql: "SELECT to_jsonb(t) AS row FROM email_folder_state t WHERE account_id IN \
              (SELECT id FROM email_accounts WHERE owner_user_id = $1) ORDER BY account_id, folder",
    },
    Source {
        table: "interactions",
        sql: "SELECT to_jsonb(t) AS row FROM interactions t WHERE id = ANY($4) ORDER BY id",
    },
    Source {
        table: "interaction_analyses",
        sql: "SELECT to_jsonb(t) AS row FROM interaction_analyses t WHERE interaction_id = ANY($4) \
              ORDER BY interaction_id",
    },
    Source {
        table: "autofill_suggestions",
        sql: "SELECT to_jsonb(t) AS row FROM autofill_suggestions t WHERE owner_user_id = $1 \
              OR decided_by = $1 ORDER BY id",
    },
    Source {
        table: "ai_user_preferences",
        sql: "SELECT to_jsonb(t) AS row FROM ai_user_preferences t WHERE user_id = $1 ORDER BY id",
    },
    Source {
        table: "organisations",
        sql: "SELECT jsonb_build_object('id', o.id, 'name', o.name, 'owner_id', o.owner_id) AS row \
              FROM organisations o WHERE owner_id = $1 ORDER BY id",
    },
    Source {
        table: "routing_rules",
        sql: "SELECT to_jsonb(t) AS row FROM routing_rules t WHERE assign_user_id = $1 \
              OR lower(sender_pattern) = ANY($2) ORDER BY id",
    },
    Source {
        table: "audit_log",
        sql: "SELECT to_jsonb(t) AS row FROM audit_log t WHERE actor_user_id = $1 \
              OR (target_type = 'user' AND target_id = $1::text) ORDER BY id",
    },
    Source {
        table: "job_history",
        sql: "SELECT to_jsonb(t) AS row FROM job_history t WHERE actor_user_id = $1 ORDER BY finished_at",
    },
    Source {
        table: "data_access_logs",
        sql: "SELECT to_jsonb(t) AS row FROM data_access_logs t WHERE user_id = $1 \
              OR (entity_type = 'user' AND entity_id = $1) ORDER BY id",
    },
    Source {
        table: "rgpd_requests",
        sql: "SELECT to_jsonb(t) AS row FROM rgpd_requests t WHERE requested_by = $1 \
              OR (subject_type = 'user' AND subject_id = $1) ORDER BY id",
    },
    Source {
        table: "notifications",
        sql: "SELECT to_jsonb(t) AS row FROM notifications t WHERE user_id = $1 ORDER BY id",
    },
    Source {
        table: "notification_preferences",
        sql: "SELECT to_jsonb(t) AS row FROM notification_preferences t WHERE user_id = $1 ORDER BY kind",
    },
    Source {
        table: "tasks",
        sql: "SELECT to_jsonb(t) AS row FROM tasks t WHERE assigned_user_id = $1 ORDER BY id",
    },
    Source {
        table: "mail_templates",
        sql: "SELECT to_jsonb(t) AS row FROM mail_templates t WHERE owner_id = $1 ORDER BY id",
    },
    Source {
        table: "segments",
        sql: "SELECT to_jsonb(t) AS row FROM segments t WHERE owner_id = $1 ORDER BY id",
    },
    Source {
        table: "campaigns",
        sql: "SELECT to_jsonb(t) AS row FROM campaigns t WHERE owner_id = $1 ORDER BY id",
    },
    Source {
        table: "webhook_endpoints",
        sql: "SELECT to_jsonb(t) - 'secret_enc' - 'previous_secret_enc' AS row FROM webhook_endpoints t \
              WHERE created_by = $1 ORDER BY id",
    },
];

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Everything held about the subject; `None` when it does not exist.
pub fn collect(
    conn: &mut PgConnection,
    subject_type: SubjectType,
    subject_id: i64,
) -> Result<Option<Collected>, DbError> {
    let Some((_, idents)) = subject::of(conn, subject_type, &[subject_id])?.pop() else {
        return Ok(None);
    };
    let all: Vec<String> = idents.all().cloned().collect();
    let interactions_sql = match subject_type {
        SubjectType::Person => {
            "SELECT id FROM interactions WHERE person_id = $1 OR lower(from_address) = ANY($2) \
             OR to_addresses && $2 OR cc_addresses && $2"
        }
        SubjectType::User => {
            "SELECT id FROM interactions WHERE assigned_user_id = $1 OR lower(from_address) = ANY($2) \
             OR to_addresses && $2 OR cc_addresses && $2"
        }
    };
    let interaction_ids: Vec<i64> = diesel::sql_query(interactions_sql)
        .bind::<BigInt, _>(subject_id)
        .bind::<Array<Text>, _>(&idents.emails)
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let sources = match subject_type {
        SubjectType::Person => PERSON,
        SubjectType::User => USER,
    };
    let mut tables = BTreeMap::new();
    for source in sources {
        let rows: Vec<Row> = diesel::sql_query(source.sql)
            .bind::<BigInt, _>(subject_id)
            .bind::<Array<Text>, _>(&idents.emails)
            .bind::<Array<Text>, _>(&all)
            .bind::<Array<BigInt>, _>(&interaction_ids)
            .load(conn)?;
        tables.insert(source.table, rows.into_iter().map(|r| r.row).collect());
    }
    Ok(Some(Collected {
        subject_type,
        subject_id,
        generated_at: Utc::now(),
        tables,
    }))
}

/// The zip: `export.json`, `csv/<table>.csv` and a `README.txt` saying what they are.
pub fn archive(collected: &Collected) -> Result<Vec<u8>, ArchiveError> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let document = serde_json::json!({
        "subject": { "type": collected.subject_type, "id": collected.subject_id },
        "generated_at": collected.generated_at,
        "tables": collected.tables,
    });
    zip.start_file("README.txt", options)?;
    zip.write_all(readme(collected).as_bytes())?;
    zip.start_file("export.json", options)?;
    zip.write_all(&serde_json::to_vec_pretty(&document)?)?;
    for (table, rows) in &collected.tables {
        zip.start_file(format!("csv/{table}.csv"), options)?;
        zip.write_all(&csv_of(rows)?)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// Why the archive could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("building the zip")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing the archive")]
    Io(#[from] std::io::Error),
    #[error("encoding JSON")]
    Json(#[from] serde_json::Error),
    #[error("encoding CSV")]
    Csv(#[from] csv::Error),
}

fn readme(c: &Collected) -> String {
    let mut out = format!(
        "Export of the data held about {} {} by the CRM, generated {}.\n\n\
         export.json holds every table's rows as JSON (machine-readable, RGPD Art. 20);\n\
         csv/ holds the same rows, one CSV file per table (nested values as JSON text).\n\
         Credentials (password hash, mailbox secrets) are not included.\n\nRows per table:\n",
        c.subject_type,
        c.subject_id,
        c.generated_at.to_rfc3339()
    );
    for (table, n) in c.counts() {
        out.push_str(&format!("  {table}: {n}\n"));
    }
    out
}

/// One CSV: the union of the rows' keys as header (first-seen order), strings as is, other values as JSON.
fn csv_of(rows: &[Value]) -> Result<Vec<u8>, ArchiveError> {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        if let Value::Object(map) = row {
            for k in map.keys() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&columns)?;
    for row in rows {
        let record: Vec<String> = columns
            .iter()
            .map(|c| match row.get(c) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            })
            .collect();
        w.write_record(&record)?;
    }
    w.into_inner().map_err(|e| ArchiveError::Io(e.into_error()))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]
    use super::*;

    #[test]
    fn csv_has_every_key_and_quotes_json() {
        let rows = vec![
            serde_json::json!({"id": 1, "name": "Jeanne, \"JM\""}),
            serde_json::json!({"id": 2, "tags": ["a"], "name": null}),
        ];
        let text = String::from_utf8(csv_of(&rows).unwrap()).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("id,name,tags"));
        assert_eq!(lines.next(), Some("1,\"Jeanne, \"\"JM\"\"\","));
        assert_eq!(lines.next(), Some("2,,\"[\"\"a\"\"]\""));
    }

    #[test]
    fn archive_holds_json_csv_and_readme() {
        let mut tables = BTreeMap::new();
        tables.insert("people", vec![serde_json::json!({"id": 1})]);
        let c = Collected {
            subject_type: SubjectType::Person,
            subject_id: 1,
            generated_at: Utc::now(),
            tables,
        };
        let bytes = archive(&c).unwrap();
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let names: Vec<String> = z.file_names().map(str::to_owned).collect();
        assert!(names.contains(&"export.json".to_owned()));
        assert!(names.contains(&"csv/people.csv".to_owned()));
        let json: Value = serde_json::from_reader(z.by_name("export.json").unwrap()).unwrap();
        assert_eq!(json["tables"]["people"][0]["id"], 1);
    }
}
