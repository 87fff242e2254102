//! Autofill against real Postgres: analyses (written as the analyser stores them, or by the real
//! analyser) become suggestions; sure ones fill empty fields, a person's values are never overwritten,
//! bulk and automated mail is no evidence, the same evidence never yields two suggestions, and two
//! batches at once read each email once.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crm_autofill::{BatchOptions, run_batch};
use diesel::prelude::*;
use serde_json::{Value, json};
use shared::models::autofill_suggestion::{Suggestion, SuggestionStatus};
use shared::models::interaction::{self, InteractionId, NewInteraction};
use shared::models::interaction_analysis::{self as analyses, CacheStatus, NewInteractionAnalysis};
use shared::models::organisation::{NewOrganisation, OrgType, create_organisation};
use shared::models::person::{NewPerson, create_person};
use shared::progress::NoProgress;
use shared::schema::{autofill_suggestions, interactions, people};
use shared::test_utils::TestDb;

fn opts(limit: usize) -> BatchOptions {
    BatchOptions {
        limit,
        account_id: None,
        auto_apply: 0.92,
    }
}

/// A stored inbound email from `from`.
fn email(db: &TestDb, from: &str, name: &str, automated: Option<&str>) -> i64 {
    let row = NewInteraction {
        automated: automated.map(str::to_owned),
        ..interaction_row(from, name)
    };
    interaction::insert_new(&mut db.conn(), &[row]).unwrap()[0]
        .0
        .0
}

/// Stores an analysis of email `id` with `signature`, as `intel.analyze_email` does.
fn analysed(db: &TestDb, id: i64, signature: Value, intent: &str) {
    analyses::upsert(
        &mut db.conn(),
        &NewInteractionAnalysis {
            interaction_id: InteractionId(id),
            analyzer_version: "test-1".into(),
            source: "rules".into(),
            language: "fr".into(),
            intent_label: intent.into(),
            intent_confidence: 0.9,
            signature,
            signature_found: true,
            entities: json!({}),
            keywords: json!([]),
            duration_ms: 1,
            cache: CacheStatus::Disabled,
        },
    )
    .unwrap();
}

/// A signature as the analyser stores it, each found field at `confidence`.
fn signature(name: &str, title: &str, confidence: f64) -> Value {
    json!({
        "block": null,
        "name": name,
        "title": title,
        "company": "Gestion Privée Conseil",
        "phones": ["+33142000000", "+33612345678"],
        "emails": [],
        "urls": ["https://www.gpc-gestion.fr"],
        "linkedin": "https://www.linkedin.com/in/jeanne-martin",
        "address": "12 rue de la Paix, 75002 Paris",
        "phone_details": [
            { "e164": "+33142000000", "kind": "landline", "raw": "01 42 00 00 00" },
            { "e164": "+33612345678", "kind": "mobile", "raw": "06 12 34 56 78" }
        ],
        "confidence": {
            "name": confidence, "title": confidence, "company": confidence, "phones": confidence,
            "emails": 0.0, "urls": confidence, "linkedin": confidence, "address": 0.8
        },
        "overall_confidence": confidence,
        "source": "rules"
    })
}

fn gpc(db: &TestDb) -> i64 {
    let mut org = NewOrganisation::new("Gestion Privée Conseil SAS", OrgType::Distributor);
    org.website = Some("https://gpc-gestion.fr".into());
    create_organisation(&mut db.conn(), &org).unwrap().id.0
}

fn all_suggestions(db: &TestDb) -> Vec<Suggestion> {
    autofill_suggestions::table
        .select(Suggestion::as_select())
        .order(autofill_suggestions::id)
        .load(&mut db.conn())
        .unwrap()
}

fn field_sources(db: &TestDb, person: i64) -> Value {
    diesel::sql_query("SELECT field_sources FROM people WHERE id = $1")
        .bind::<diesel::sql_types::BigInt, _>(person)
        .get_result::<Sources>(&mut db.conn())
        .unwrap()
        .field_sources
}

#[derive(QueryableByName)]
struct Sources {
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    field_sources: Value,
}

#[tokio::test]
async fn a_new_sender_is_created_linked_and_never_proposed_twice() {
    let db = TestDb::new();
    let org = gpc(&db);
    let id = email(&db, "Jeanne.Martin@gpc-gestion.fr", "Jeanne Martin", None);
    analysed(
        &db,
        id,
        signature("Jeanne Martin", "Directrice des partenariats", 0.97),
        "meeting_request",
    );

    let out = run_batch(db.pool(), &opts(50), &NoProgress).await.unwrap();
    assert_eq!((out.emails, out.auto_applied), (1, 1), "{out:?}");
    let s = all_suggestions(&db);
    let create = s.iter().find(|s| s.field == "person").unwrap();
    assert_eq!(create.status, SuggestionStatus::AutoApplied);
    assert_eq!(create.evidence["interaction_id"], id);
    assert_eq!(create.analyzer_version, "test-1");
    // The organisation's empty address: below the threshold, waiting for review.
    let address = s.iter().find(|s| s.field == "address").unwrap();
    assert_eq!(address.status, SuggestionStatus::Pending);
    assert_eq!(address.entity_id, Some(org));

    let (person_id, title, mobile, email_col): (
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = people::table
        .select((people::id, people::title, people::mobile, people::email))
        .first(&mut db.conn())
        .unwrap();
    assert_eq!(title.as_deref(), Some("Directrice des partenariats"));
    assert_eq!(mobile.as_deref(), Some("+33612345678"));
    assert_eq!(email_col.as_deref(), Some("jeanne.martin@gpc-gestion.fr"));
    assert_eq!(field_sources(&db, person_id)["title"], "autofill:signature");
    let links = shared::models::person_link::organisations_of_person(
        &mut db.conn(),
        shared::models::PersonId(person_id),
    )
    .unwrap();
    assert_eq!(links.len(), 1);
    assert!(links[0].0.is_primary && links[0].1.id.0 == org);
    let linked: Option<i64> = interactions::table
        .find(id)
        .select(interactions::person_id)
        .first::<Option<shared::models::PersonId>>(&mut db.conn())
        .unwrap()
        .map(|p| p.0);
    assert_eq!(linked, Some(person_id));

    // Nothing left to read; re-analysed, the same evidence proposes nothing new.
    let again = run_batch(db.pool(), &opts(50), &NoProgress).await.unwrap();
    assert_eq!(again.emails, 0);
    analysed(
        &db,
        id,
        signature("Jeanne Martin", "Directrice des partenariats", 0.97),
        "meeting_request",
    );
    let again = run_batch(db.pool(), &opts(50), &NoProgress).await.unwrap();
    assert_eq!((again.emails, again.suggestions), (1, 0), "{again:?}");
    assert!(again.duplicates >= 1);
    assert_eq!(all_suggestions(&db).len(), s.len());
}

#[tokio::test]
async fn a_value_a_person_entered_is_never_overwritten() {
    let db = TestDb::new();
    gpc(&db);
    let mut p = NewPerson::new("Jeanne", "Martin");
    p.email = Some("jeanne@gpc-gestion.fr".into());
    p.title = Some("Gérante".into());
    let person = create_person(&mut db.conn(), &p).unwrap().id.0;
    let id = email(&db, "jeanne@gpc-gestion.fr", "Jeanne Martin", None);
    analysed(
        &db,
        id,
        signature("Jeanne Martin", "Directrice", 0.99),
        "other",
    );

    run_batch(db.pool(), &opts(50), &NoProgress).await.unwrap();
    let s = all_suggestions(&db);
    let title = s.iter().find(|s| s.field == "title").unwrap();
    assert_eq!(
        title.status,
        SuggestionStatus::Pending,
        "a human's title goes to review"
    );
    assert_eq!(title.current_value.as_deref(), Some("Gérante"));
    let phone = s.iter().find(|s| s.field == "phone").unwrap();
    assert_eq!(
        phone.status,
        SuggestionStatus::AutoApplied,
        "an empty field is filled"
    );
    let link = s.iter().find(|s| s.field == "organisation").unwrap();
    assert_eq!(
        link.status,
        SuggestionStatus::AutoApplied,
        "no organisation yet: linked"
    );
    let (title_now, phone_now): (Option<String>, Option<String>) = people::table
        .find(shared::models::PersonId(person))
        .select((people::title, people::phone))
        .first(&mut db.conn())
        .unwrap();
    assert_eq!(title_now.as_deref(), Some("Gérante"));
    assert_eq!(phone_now.as_deref(), Some("+33142000000"));

    // A field autofill wrote itself may be updated by the same source; a human's still is not.
    let id2 = email(&db, "jeanne@gpc-gestion.fr", "Jeanne Martin", None);
    let mut newer = signature("Jeanne Martin", "Directrice générale", 0.99);
    newer["phones"] = json!(["+33142000099"]);
    newer["phone_details"] =
        json!([{ "e164": "+33142000099", "kind": "landline", "raw": "01 42 00 00 99" }]);
    analysed(&db, id2, newer, "other");
    run_batch(db.pool(), &opts(50), &NoProgress).await.unwrap();
    let (title_now, phone_now): (Option<String>, Option<String>) = people::table
        .find(shared::models::PersonId(person))
        .select((people::title, people::phone))
        .first(&mut db.conn())
        .unwrap();
    assert_eq!(phone_now.as_deref(), Some("+33142000099"));
    assert_eq!(title_now.as_deref(), Some("Gérante"));
    let pending_titles = all_suggestions(&db)
        .into_iter()
        .filter(|s| s.field == "title" && s.status == SuggestionStatus::Pending)
        .count();
    assert_eq!(pending_titles, 2);
}

#[tokio::test]
async fn bulk_automated_and_role_mail_is_no_evidence() {
    let db = TestDb::new();
    gpc(&db);
    let sig = || signature("Jeanne Martin", "Directrice", 0.99);
    let cases = [
        ("jeanne@gpc-gestion.fr", Some("list"), "other"),
        ("jeanne@gpc-gestion.fr", Some("precedence:bulk"), "other"),
        ("jeanne@gpc-gestion.fr", None, "out_of_office"),
        ("no-reply@gpc-gestion.fr", None, "other"),
        ("info@gpc-gestion.fr", None, "other"),
    ];
    for (from, automated, intent) in cases {
        let id = email(&db, from, "Jeanne Martin", automated);
        analysed(&db, id, sig(), intent);
    }
    let out = run_batch(db.pool(), &opts(50), &NoProgress).await.unwrap();
    assert_eq!(out.emails, 5);
    assert_eq!(out.suggestions, 0);
    assert_eq!(out.skipped["automated"], 2);
    assert_eq!(out.skipped["automated_intent"], 1);
    assert_eq!(out.skipped["role_address"], 2);
    assert!(all_suggestions(&db).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_batches_at_once_read_each_email_once_and_duplicate_nothing() {
    let db = TestDb::new();
    gpc(&db);
    for i in 0..120 {
        let sender = i % 40;
        let id = email(
            &db,
            &format!("contact.{sender}@gpc-gestion.fr"),
            &format!("Camille Durand{sender}"),
            None,
        );
        analysed(
            &db,
            id,
            signature(
                &format!("Camille Durand{sender}"),
                "Chargée de clientèle",
                0.97,
            ),
            "other",
        );
    }
    let o = opts(120);
    let (a, b) = tokio::join!(
        run_batch(db.pool(), &o, &NoProgress),
        run_batch(db.pool(), &o, &NoProgress)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.emails + b.emails, 120, "{a:?} {b:?}");
    let persons: i64 = people::table.count().get_result(&mut db.conn()).unwrap();
    assert_eq!(persons, 40, "one person per sender");
    let s = all_suggestions(&db);
    let creations = s.iter().filter(|s| s.field == "person").count();
    assert_eq!(creations, 40);
    let mut keys: Vec<&str> = s.iter().map(|s| s.dedupe_key.as_str()).collect();
    keys.sort_unstable();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n);
}

#[tokio::test]
async fn the_real_analyser_feeds_autofill() {
    let db = TestDb::new();
    let mut acme = NewOrganisation::new("ACME", OrgType::Investor);
    acme.email = Some("contact@acme.fr".into());
    let acme = create_organisation(&mut db.conn(), &acme).unwrap().id.0;
    let body = "Bonjour,\n\nPourriez-vous m'envoyer votre dernière présentation ?\n\n\
                Cordialement,\n\nJean Dupont\nDirecteur commercial\nACME SAS\n\
                Tél. : 01 42 00 00 00\nPortable : 06 11 22 33 44\n";
    let mut row = NewInteraction {
        body_text: Some(body.into()),
        ..interaction_row("jean.dupont@acme.fr", "Jean Dupont")
    };
    row.subject = Some("Présentation".into());
    let id = interaction::insert_new(&mut db.conn(), &[row]).unwrap()[0]
        .0
        .0;
    let analyzer = llm::Analyzer::from_env(|_| None).unwrap();
    crm_analysis::analyze_interaction(db.pool(), &analyzer, id)
        .await
        .unwrap();

    let out = run_batch(db.pool(), &opts(50), &NoProgress).await.unwrap();
    assert_eq!(out.emails, 1, "{out:?}");
    let s = all_suggestions(&db);
    let create = s
        .iter()
        .find(|s| s.field == "person")
        .expect("a person proposed");
    assert_eq!(create.value["first_name"], "Jean");
    assert_eq!(create.value["last_name"], "Dupont");
    assert_eq!(create.value["title"], "Directeur commercial");
    assert_eq!(create.value["mobile"], "+33611223344");
    assert_eq!(create.value["organisation"]["organisation_id"], acme);
    assert!(
        create.analyzer_version.starts_with("models-"),
        "{}",
        create.analyzer_version
    );
}

fn interaction_row(from: &str, name: &str) -> NewInteraction {
    NewInteraction {
        from_name: Some(name.into()),
        to_addresses: vec!["sales@crm.test".into()],
        ..NewInteraction::inbound(from, "Rendez-vous", "Bonjour")
    }
}
