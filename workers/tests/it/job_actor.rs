//! Every job checks who may act on the resource it touches: a job enqueued by a user runs only while that
//! user may still run it on its resource. Through the real workers binary: the owner's own job runs; a job
//! whose mailbox changed owner, whose actor was demoted to viewer or deactivated, dies permanently at its
//! first attempt without its handler touching anything; the system's jobs pass.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::time::Duration;

use crm_queue::{EnqueueOptions, JobId, JobState};
use diesel::prelude::*;
use shared::jobs::Job;
use shared::jobs::payloads::intel::AnalyzeEmail;
use shared::jobs::payloads::mail::SyncAccount;
use shared::models::UserId;
use shared::models::email_account::{self as accounts, EmailAccountId};
use shared::models::interaction::{self, Direction, InteractionId, NewInteraction};
use shared::models::interaction_analysis as analyses;
use shared::models::user::{self, Role};
use shared::permissions::Actor;
use shared::schema::email_accounts;

const WAIT: Duration = Duration::from_secs(90);

fn inbound(account: EmailAccountId, message_id: &str) -> NewInteraction {
    NewInteraction {
        account_id: Some(account),
        folder: "INBOX".into(),
        uid: None,
        provider_id: None,
        message_id: message_id.into(),
        in_reply_to: None,
        message_references: Vec::new(),
        from_address: Some("jean.dupont@acme.fr".into()),
        from_name: None,
        to_addresses: Vec::new(),
        cc_addresses: Vec::new(),
        subject: Some("Devis".into()),
        sent_at: Some(chrono::Utc::now()),
        direction: Direction::Inbound,
        body_text: Some("Bonjour, pourriez-vous m'envoyer un devis ?".into()),
        size_bytes: 100,
        parent_message_id: None,
        person_id: None,
        skipped_reason: None,
        automated: None,
    }
}

fn owner_of(env: &common::Env, account: EmailAccountId) -> UserId {
    accounts::find_account(&mut env.db.conn(), account)
        .unwrap()
        .unwrap()
        .owner_user_id
}

async fn enqueue_as<J: Job>(env: &common::Env, job: &J, actor: Actor) -> JobId {
    let opts = EnqueueOptions {
        actor,
        ..EnqueueOptions::default()
    };
    env.queue.enqueue(job, opts).await.unwrap().job_id
}

/// Waits for the job to die and checks it died of the actor check: one attempt, a permanent error naming it.
async fn assert_refused(env: &common::Env, id: &JobId, expected: &str) {
    let rec = env.wait_state(id, JobState::Dead, WAIT).await;
    assert_eq!(rec.attempts, 1, "{rec:?}");
    let err = rec.last_error.unwrap();
    assert!(err.contains(expected), "{err}");
    assert!(rec.errors.iter().all(|e| e.permanent), "{:?}", rec.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_runs_only_while_its_actor_may_act_on_its_resource() {
    let env = common::Env::new().await;
    let account = common::imap_account(&env.db, "sales@crm.test");
    let alice = owner_of(&env, account);
    let ids: Vec<InteractionId> = (0..4)
        .map(|i| {
            interaction::insert_new(
                &mut env.db.conn(),
                &[inbound(account, &format!("<m{i}@x>"))],
            )
            .unwrap()[0]
                .0
        })
        .collect();
    let _worker = env.spawn_workers(&[("WORKER_QUEUES", "intel,mail")]);

    // The owner's own job runs.
    let own = enqueue_as(
        &env,
        &AnalyzeEmail {
            interaction_id: ids[0],
        },
        Actor::User(alice),
    )
    .await;
    let rec = env.wait_state(&own, JobState::Succeeded, WAIT).await;
    assert_eq!(rec.actor, Actor::User(alice));
    assert_eq!(
        rec.resource.as_deref(),
        Some(&*format!("interaction:{}", ids[0]))
    );

    // Another user's job on Alice's email dies before the analysis is written.
    let mallory = env.db.user("mallory@crm.test", Role::User);
    let foreign = enqueue_as(
        &env,
        &AnalyzeEmail {
            interaction_id: ids[1],
        },
        Actor::User(mallory),
    )
    .await;
    assert_refused(&env, &foreign, "may no longer run it").await;
    assert!(
        analyses::find(&mut env.db.conn(), ids[1])
            .unwrap()
            .is_none()
    );

    // The system's jobs pass (the mail sync enqueues analyses this way).
    let system = enqueue_as(
        &env,
        &AnalyzeEmail {
            interaction_id: ids[1],
        },
        Actor::System,
    )
    .await;
    env.wait_state(&system, JobState::Succeeded, WAIT).await;

    // The mailbox changes owner while Alice's sync waits (it is due in a second): it dies without a
    // connection attempt (the account's server is unreachable, so any attempt would be a transient retry).
    let later = EnqueueOptions {
        actor: Actor::User(alice),
        run_at: Some(chrono::Utc::now() + chrono::TimeDelta::seconds(1)),
        ..EnqueueOptions::default()
    };
    let sync = env
        .queue
        .enqueue(
            &SyncAccount {
                account_id: account,
            },
            later,
        )
        .await
        .unwrap()
        .job_id;
    let bob = env.db.user("bob@crm.test", Role::User);
    diesel::update(email_accounts::table.find(account))
        .set(email_accounts::owner_user_id.eq(bob))
        .execute(&mut env.db.conn())
        .unwrap();
    assert_refused(&env, &sync, "does not exist or is not visible").await;
    let untouched = accounts::find_account(&mut env.db.conn(), account)
        .unwrap()
        .unwrap();
    assert!(untouched.last_sync_at.is_none() && untouched.last_error.is_none());
    diesel::update(email_accounts::table.find(account))
        .set(email_accounts::owner_user_id.eq(alice))
        .execute(&mut env.db.conn())
        .unwrap();

    // Alice demoted to viewer: read-only, her jobs no longer run.
    user::set_role(&mut env.db.conn(), alice, Role::Viewer).unwrap();
    let demoted = enqueue_as(
        &env,
        &AnalyzeEmail {
            interaction_id: ids[2],
        },
        Actor::User(alice),
    )
    .await;
    assert_refused(&env, &demoted, "requires the user role").await;

    // Alice deactivated.
    user::set_role(&mut env.db.conn(), alice, Role::User).unwrap();
    user::set_active(&mut env.db.conn(), alice, false).unwrap();
    let inactive = enqueue_as(
        &env,
        &AnalyzeEmail {
            interaction_id: ids[3],
        },
        Actor::User(alice),
    )
    .await;
    assert_refused(&env, &inactive, "no longer an active user").await;
    for id in &ids[2..] {
        assert!(analyses::find(&mut env.db.conn(), *id).unwrap().is_none());
    }
}
