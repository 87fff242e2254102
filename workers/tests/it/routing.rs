//! Routing after analysis against real Postgres: the first matching rule assigns the email, the default
//! owner takes what no rule matches, an assignment a person made is never changed, outbound mail is not
//! routed.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crm_analysis::route::route_email;
use diesel::prelude::*;
use shared::models::interaction::{self, Direction, NewInteraction};
use shared::models::routing_rule::{self as rules, NewRoutingRule};
use shared::models::user::Role;
use shared::models::{TeamId, UserId};
use shared::schema::interactions;
use shared::test_utils::TestDb;

fn email(db: &TestDb, from: &str, subject: &str, direction: Direction) -> i64 {
    let row = NewInteraction {
        direction,
        ..NewInteraction::inbound(
            from,
            subject,
            "Bonjour, une réclamation concernant le reporting.",
        )
    };
    interaction::insert_new(&mut db.conn(), &[row]).unwrap()[0]
        .0
        .0
}

fn rule(
    name: &str,
    priority: i32,
    pattern: Option<&str>,
    keywords: &[&str],
    user: UserId,
) -> NewRoutingRule {
    NewRoutingRule {
        name: name.into(),
        priority,
        active: true,
        intent: None,
        sender_pattern: pattern.map(str::to_owned),
        keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
        account_id: None,
        assign_user_id: Some(user),
        assign_team_id: None,
    }
}

fn assigned(db: &TestDb, id: i64) -> (Option<UserId>, Option<TeamId>, Option<String>) {
    interactions::table
        .find(id)
        .select((
            interactions::assigned_user_id,
            interactions::assigned_team_id,
            interactions::assignment_source,
        ))
        .first(&mut db.conn())
        .unwrap()
}

#[tokio::test]
async fn rules_then_default_then_never_a_persons_choice() {
    let db = TestDb::new();
    let (sales, desk, fallback) = (
        db.user("sales@crm.test", Role::User),
        db.user("desk@crm.test", Role::User),
        db.user("fallback@crm.test", Role::User),
    );
    rules::create(
        &mut db.conn(),
        &rule("amundi", 20, Some("amundi.com"), &[], sales),
    )
    .unwrap();
    let complaints = rules::create(
        &mut db.conn(),
        &rule("complaints", 10, None, &["RECLAMATION"], desk),
    )
    .unwrap();

    let a = email(&db, "j@amundi.com", "Point", Direction::Inbound);
    let routed = route_email(db.pool(), a, Some(fallback)).await.unwrap();
    // The complaint keyword (in the body, accents ignored) comes first by priority.
    assert_eq!((routed.by, routed.rule_id), ("rule", Some(complaints.id.0)));
    assert_eq!(assigned(&db, a), (Some(desk), None, Some("rule".into())));

    rules::replace(
        &mut db.conn(),
        complaints.id,
        &NewRoutingRule {
            active: false,
            ..rule("complaints", 10, None, &["RECLAMATION"], desk)
        },
    )
    .unwrap();
    assert_eq!(
        route_email(db.pool(), a, Some(fallback)).await.unwrap().by,
        "rule"
    );
    assert_eq!(assigned(&db, a).0, Some(sales));

    let other = email(&db, "x@other.fr", "Point", Direction::Inbound);
    assert_eq!(
        route_email(db.pool(), other, Some(fallback))
            .await
            .unwrap()
            .by,
        "default"
    );
    assert_eq!(
        assigned(&db, other),
        (Some(fallback), None, Some("default".into()))
    );
    assert_eq!(
        route_email(db.pool(), other, None).await.unwrap().by,
        "none"
    );
    assert_eq!(assigned(&db, other), (None, None, None));

    // A person assigned the email: routing leaves it.
    diesel::update(interactions::table.find(a))
        .set((
            interactions::assigned_user_id.eq(Some(fallback)),
            interactions::assignment_source.eq(Some("human")),
        ))
        .execute(&mut db.conn())
        .unwrap();
    assert_eq!(
        route_email(db.pool(), a, Some(sales)).await.unwrap().by,
        "human"
    );
    assert_eq!(assigned(&db, a).0, Some(fallback));

    let sent = email(&db, "me@crm.test", "Réponse", Direction::Outbound);
    assert_eq!(
        route_email(db.pool(), sent, Some(fallback))
            .await
            .unwrap()
            .by,
        "outbound"
    );
    assert_eq!(assigned(&db, sent).0, None);
}
