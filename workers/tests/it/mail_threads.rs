//! Persisted threading by subject: a reply whose client dropped In-Reply-To/References joins the recent
//! conversation with the same base subject; a message without a reply prefix, a reply months later, or a
//! reply in another mailbox starts its own thread.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use crm_mailbox::parse::parse_message;
use crm_mailbox::store::{Fetched, Target, store_batch};
use shared::models::email_account::EmailAccountId;
use shared::models::email_thread::EmailThreadId;
use shared::models::interaction;
use shared::test_utils::TestDb;

/// A message without In-Reply-To or References.
fn mail(id: &str, subject: &str, date: &str) -> Fetched {
    let raw = format!(
        "From: Claire Martin <claire@client.test>\r\nTo: sales@crm.test\r\nSubject: {subject}\r\n\
         Message-ID: <{id}@client.test>\r\nDate: {date}\r\n\r\nBonjour.\r\n"
    );
    Fetched {
        uid: None,
        provider_id: None,
        email: parse_message(raw.as_bytes(), 1 << 20),
    }
}

async fn store(db: &TestDb, account: EmailAccountId, batch: Vec<Fetched>) {
    let target = Target {
        account_id: account,
        address: "sales@crm.test".into(),
        analysis_queue: None,
        feedback: None,
    };
    store_batch(db.pool(), &target, "INBOX", false, batch)
        .await
        .unwrap();
}

fn thread_of(db: &TestDb, account: EmailAccountId, id: &str) -> EmailThreadId {
    interaction::find_by_message_id(&mut db.conn(), account, &format!("{id}@client.test"))
        .unwrap()
        .unwrap()
        .thread_id
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_without_references_join_the_recent_thread_of_their_subject() {
    let db = TestDb::new();
    let sales = common::imap_account(&db, "sales@crm.test");
    let other = common::imap_account(&db, "other@crm.test");

    store(
        &db,
        sales,
        vec![mail(
            "orig",
            "Rapport mensuel octobre",
            "Mon, 2 Nov 2026 09:00:00 +0100",
        )],
    )
    .await;
    // Separate syncs, as replies arrive: French, English and German prefixes, another case.
    for (id, subject, date) in [
        (
            "re-fr",
            "RE : Rapport mensuel octobre",
            "Tue, 3 Nov 2026 10:00:00 +0100",
        ),
        (
            "tr",
            "TR: re: rapport MENSUEL octobre",
            "Wed, 4 Nov 2026 11:00:00 +0100",
        ),
        (
            "aw",
            "AW: Rapport mensuel octobre",
            "Thu, 5 Nov 2026 12:00:00 +0100",
        ),
    ] {
        store(&db, sales, vec![mail(id, subject, date)]).await;
    }
    let conversation = thread_of(&db, sales, "orig");
    for id in ["re-fr", "tr", "aw"] {
        assert_eq!(thread_of(&db, sales, id), conversation, "{id}");
    }

    // Same subject without a reply prefix: a new conversation.
    store(
        &db,
        sales,
        vec![mail(
            "again",
            "Rapport mensuel octobre",
            "Fri, 6 Nov 2026 09:00:00 +0100",
        )],
    )
    .await;
    assert_ne!(thread_of(&db, sales, "again"), conversation);

    // A reply five months later does not reach back; another mailbox never joins this one's threads.
    store(
        &db,
        sales,
        vec![mail(
            "late",
            "Re: Rapport mensuel octobre",
            "Mon, 5 Apr 2027 09:00:00 +0200",
        )],
    )
    .await;
    let late = thread_of(&db, sales, "late");
    assert_ne!(late, conversation);
    assert_ne!(late, thread_of(&db, sales, "again"));
    store(
        &db,
        other,
        vec![mail(
            "elsewhere",
            "RE: Rapport mensuel octobre",
            "Tue, 3 Nov 2026 10:00:00 +0100",
        )],
    )
    .await;
    let elsewhere = thread_of(&db, other, "elsewhere");
    assert_ne!(elsewhere, conversation);

    let thread = shared::models::email_thread::find_thread(&mut db.conn(), conversation)
        .unwrap()
        .unwrap();
    assert_eq!(thread.message_count, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_stored_in_the_same_batch_as_its_original_joins_it_by_subject() {
    let db = TestDb::new();
    let sales = common::imap_account(&db, "sales@crm.test");
    store(
        &db,
        sales,
        vec![
            mail(
                "first",
                "Souscription fonds Horizon",
                "Mon, 2 Nov 2026 09:00:00 +0100",
            ),
            mail(
                "reply",
                "Réf. : Souscription fonds Horizon",
                "Mon, 2 Nov 2026 15:00:00 +0100",
            ),
            mail("unrelated", "Invitation", "Mon, 2 Nov 2026 16:00:00 +0100"),
        ],
    )
    .await;
    assert_eq!(
        thread_of(&db, sales, "reply"),
        thread_of(&db, sales, "first")
    );
    assert_ne!(
        thread_of(&db, sales, "unrelated"),
        thread_of(&db, sales, "first")
    );
}
