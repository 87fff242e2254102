//! Notifications through the API: each user sees and marks only their own (viewers included), preferences
//! refuse turning a critical kind off and write nothing then, and the live streams: notifications pushed
//! as they are published, the ones missed caught up from `Last-Event-ID`, other users' never sent; job
//! progress and the final state.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::pin::Pin;
use std::time::Duration;

use crate::common;

use actix_web::body::MessageBody;
use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{TestApp, error_of, get, parts, post};
use serde_json::{Value, json};
use shared::models::UserId;
use shared::models::notification::{self, NewNotification, Notification};
use shared::models::user::Role;

fn add(app: &TestApp, user: UserId, title: &str) -> Notification {
    notification::insert_many(
        &mut app.db.conn(),
        &[NewNotification {
            user_id: user,
            kind: "assignment".into(),
            priority: "normal".into(),
            title: title.into(),
            body: String::new(),
            link: None,
            data: json!({}),
            event_id: None,
        }],
    )
    .unwrap()
    .remove(0)
}

/// Publishes `n` as the workers' relay does.
async fn publish(app: &TestApp, n: &Notification) {
    crm_events::relay::publish(
        &app.state.redis(),
        &app.state.keys().notifications_channel(),
        std::slice::from_ref(n),
    )
    .await
    .unwrap();
}

/// Reads Server-Sent Events frames from a streaming response body.
struct Frames<B: MessageBody> {
    body: Pin<Box<B>>,
    buf: String,
}

#[derive(Debug)]
struct Frame {
    id: Option<i64>,
    event: String,
    data: Value,
}

impl<B: MessageBody> Frames<B> {
    fn new(body: B) -> Self {
        Self {
            body: Box::pin(body),
            buf: String::new(),
        }
    }

    /// The next frame that is not a comment, or `None` when the stream ended or `within` passed.
    async fn next(&mut self, within: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let raw: String = self.buf.drain(..end + 2).collect();
                if raw.starts_with(':') {
                    continue;
                }
                let mut f = Frame {
                    id: None,
                    event: String::new(),
                    data: Value::Null,
                };
                for line in raw.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        f.id = v.parse().ok();
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        f.event = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        f.data = serde_json::from_str(v).unwrap();
                    }
                }
                return Some(f);
            }
            let chunk = tokio::time::timeout_at(
                deadline,
                futures::future::poll_fn(|cx| self.body.as_mut().poll_next(cx)),
            )
            .await
            .ok()??;
            self.buf.push_str(&String::from_utf8_lossy(&chunk.ok()?));
        }
    }
}

#[actix_web::test]
async fn each_user_reads_and_marks_only_their_own_viewers_included() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (alice, a_bearer) = app.bearer(Role::Viewer).await;
    let (bob, _) = app.bearer(Role::User).await;
    let a1 = add(&app, alice, "one");
    let a2 = add(&app, alice, "two");
    let b1 = add(&app, bob, "bob's");

    let (_, _, list) =
        parts(call_service(&svc, get(&a_bearer, "/api/v1/notifications").to_request()).await).await;
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [a2.id, a1.id]);
    let (_, _, count) = parts(
        call_service(
            &svc,
            get(&a_bearer, "/api/v1/notifications/unread-count").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(count["unread"], 2);

    // Someone else's: as if it did not exist.
    let (status, _, _) = parts(
        call_service(
            &svc,
            post(
                &a_bearer,
                &format!("/api/v1/notifications/{}/read", b1.id),
                json!({}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        notification::list_for(&mut app.db.conn(), bob, true, None, 5)
            .unwrap()
            .len()
            == 1
    );

    let (status, _, read) = parts(
        call_service(
            &svc,
            post(
                &a_bearer,
                &format!("/api/v1/notifications/{}/read", a1.id),
                json!({}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert!(read["read_at"].is_string());
    let (_, _, unread) = parts(
        call_service(
            &svc,
            get(&a_bearer, "/api/v1/notifications?unread=true").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(unread.as_array().unwrap().len(), 1);
    let (_, _, all) = parts(
        call_service(
            &svc,
            post(&a_bearer, "/api/v1/notifications/read-all", json!({})).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(all["marked"], 1);
    let (status, _, json) = parts(
        call_service(
            &svc,
            get(&a_bearer, "/api/v1/notifications?limit=500").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, error_of(&json)["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("limit"))
    );
}

#[actix_web::test]
async fn preferences_refuse_muting_critical_kinds_and_write_nothing_then() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, bearer) = app.bearer(Role::User).await;
    let put = |body: Value| {
        TestRequest::put()
            .uri("/api/v1/notifications/preferences")
            .insert_header(("Authorization", bearer.clone()))
            .set_json(body)
            .to_request()
    };
    let (_, _, prefs) = parts(
        call_service(
            &svc,
            get(&bearer, "/api/v1/notifications/preferences").to_request(),
        )
        .await,
    )
    .await;
    let prefs = prefs.as_array().unwrap();
    assert!(prefs.iter().all(|p| p["channel"] == "in_app"));
    assert!(
        prefs
            .iter()
            .any(|p| p["kind"] == "rgpd_request_received" && p["critical"] == true)
    );

    let (status, _, json) = parts(
        call_service(&svc, put(json!([{"kind": "assignment", "channel": "email"}, {"kind": "job_failed", "channel": "off"}]))).await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&json)["field"], "[1].channel");
    for (body, field) in [
        (json!([{"kind": "nope", "channel": "off"}]), "[0].kind"),
        (
            json!([{"kind": "assignment", "channel": "sms"}]),
            "[0].channel",
        ),
    ] {
        let (status, _, json) = parts(call_service(&svc, put(body)).await).await;
        assert_eq!(
            (status, error_of(&json)["field"].clone()),
            (StatusCode::BAD_REQUEST, json!(field))
        );
    }
    let (_, _, prefs) = parts(
        call_service(
            &svc,
            get(&bearer, "/api/v1/notifications/preferences").to_request(),
        )
        .await,
    )
    .await;
    assert!(
        prefs
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["channel"] == "in_app"),
        "{prefs}"
    );

    let (status, _, prefs) = parts(
        call_service(&svc, put(json!([{"kind": "assignment", "channel": "email"}, {"kind": "pipeline_stage_changed", "channel": "off"}]))).await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let channel = |k: &str| {
        prefs
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["kind"] == k)
            .unwrap()["channel"]
            .clone()
    };
    assert_eq!(
        (channel("assignment"), channel("pipeline_stage_changed")),
        (json!("email"), json!("off"))
    );
}

#[actix_web::test]
async fn the_stream_pushes_new_notifications_and_catches_up_after_a_reconnect() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (alice, bearer) = app.bearer(Role::User).await;
    let (bob, _) = app.bearer(Role::User).await;
    let old = add(&app, alice, "before the stream");

    // A fresh stream starts after what exists.
    let res = call_service(
        &svc,
        get(&bearer, "/api/v1/notifications/stream").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        common::header(res.headers(), "content-type").unwrap(),
        "text/event-stream"
    );
    let mut frames = Frames::new(res.into_body());
    let ready = frames.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        (ready.event.as_str(), ready.data["unread"].clone()),
        ("ready", json!(1))
    );
    assert_eq!(ready.data["last_event_id"], old.id);

    // Published by the relay: Alice's arrives, Bob's never.
    let not_hers = add(&app, bob, "bob's");
    publish(&app, &not_hers).await;
    let hers = add(&app, alice, "live");
    // The hub subscribes on the first stream; publish until it hears (its subscription is asynchronous).
    let mut got = None;
    for _ in 0..50 {
        publish(&app, &hers).await;
        if let Some(f) = frames.next(Duration::from_millis(200)).await {
            got = Some(f);
            break;
        }
    }
    let f = got.expect("the notification was pushed");
    assert_eq!((f.id, f.event.as_str()), (Some(hers.id), "notification"));
    assert_eq!(f.data["title"], "live");
    // Published again: not sent twice.
    publish(&app, &hers).await;
    assert!(frames.next(Duration::from_millis(500)).await.is_none());
    drop(frames);

    // Missed while disconnected, not even published: caught up from Last-Event-ID, in order.
    let m1 = add(&app, alice, "missed 1");
    let m2 = add(&app, alice, "missed 2");
    let req = get(&bearer, "/api/v1/notifications/stream")
        .insert_header(("Last-Event-ID", hers.id.to_string()))
        .to_request();
    let mut frames = Frames::new(call_service(&svc, req).await.into_body());
    assert_eq!(
        frames.next(Duration::from_secs(5)).await.unwrap().event,
        "ready"
    );
    let ids: Vec<Option<i64>> = vec![
        frames.next(Duration::from_secs(5)).await.unwrap().id,
        frames.next(Duration::from_secs(5)).await.unwrap().id,
    ];
    assert_eq!(ids, [Some(m1.id), Some(m2.id)]);

    let req = get(&bearer, "/api/v1/notifications/stream")
        .insert_header(("Last-Event-ID", "yesterday"))
        .to_request();
    let (status, _, json) = parts(call_service(&svc, req).await).await;
    assert_eq!(
        (status, error_of(&json)["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("last_event_id"))
    );
}

#[actix_web::test]
async fn a_job_stream_sends_progress_then_the_final_state_and_ends() {
    use shared::jobs::payloads::diag::Sleep;
    let app = TestApp::new().await;
    let svc = service!(app);
    let (alice, bearer) = app.bearer(Role::Admin).await;
    let (_, other) = app.bearer(Role::User).await;
    let opts = crm_queue::EnqueueOptions {
        actor: shared::permissions::Actor::User(alice),
        ..Default::default()
    };
    let job = app
        .state
        .queue
        .enqueue(
            &Sleep {
                millis: 10,
                steps: None,
                tag: None,
            },
            opts,
        )
        .await
        .unwrap()
        .job_id;
    let uri = format!("/api/v1/jobs/{job}/events");
    // Someone who may not see the job: unknown.
    let (status, _, _) = parts(call_service(&svc, get(&other, &uri).to_request()).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let mut frames = Frames::new(
        call_service(&svc, get(&bearer, &uri).to_request())
            .await
            .into_body(),
    );
    let first = frames.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        (first.event.as_str(), first.data["state"].clone()),
        ("state", json!("waiting"))
    );
    let mut progress = None;
    for pct in 1..50u8 {
        app.state
            .queue
            .set_progress(&job, pct, Some("step"))
            .await
            .unwrap();
        if let Some(f) = frames.next(Duration::from_millis(200)).await {
            progress = Some(f);
            break;
        }
    }
    let p = progress.expect("progress was pushed");
    assert_eq!(p.event, "progress");
    assert_eq!(p.data["job_id"], job.to_string());
    app.state.queue.cancel(&job).await.unwrap();
    let mut last = None;
    while let Some(f) = frames.next(Duration::from_secs(5)).await {
        last = Some(f);
    }
    let last = last.expect("a final frame");
    assert_eq!(
        (last.event.as_str(), last.data["state"].clone()),
        ("state", json!("cancelled"))
    );
}

#[actix_web::test]
async fn the_dashboard_job_view_streams_with_its_session_cookie() {
    use crate::dashboard_common;
    use shared::jobs::payloads::diag::Sleep;
    let app = TestApp::new().await;
    let svc = service!(app);
    let (owner, browser) = browser!(app, svc, Role::User);
    let (_, stranger) = browser!(app, svc, Role::User);
    let opts = crm_queue::EnqueueOptions {
        actor: shared::permissions::Actor::User(owner),
        ..Default::default()
    };
    let job = app
        .state
        .queue
        .enqueue(
            &Sleep {
                millis: 10,
                steps: None,
                tag: None,
            },
            opts,
        )
        .await
        .unwrap()
        .job_id;
    let uri = format!("/api/v1/dashboard/jobs/{job}/events");
    let res = call_service(&svc, browser.get(&uri).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut frames = Frames::new(res.into_body());
    let first = frames.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        (first.event.as_str(), first.data["id"].clone()),
        ("state", json!(job.to_string()))
    );
    // Another user's job, or no session: as for the job view.
    let (status, _, _) = parts(call_service(&svc, stranger.get(&uri).to_request()).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) =
        parts(call_service(&svc, TestRequest::get().uri(&uri).to_request()).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn any_replica_delivers_a_notification_published_once() {
    let app = TestApp::new().await;
    // A second API process on the same stores.
    let replica = crm_api::build_state(common::settings(
        app.db.url(),
        app.redis.url(),
        app.redis.namespace(),
        &[],
    ))
    .await
    .unwrap();
    let svc_a = service!(app);
    let svc_b = actix_web::test::init_service(
        actix_web::App::new().configure(crm_api::app_config(replica.clone())),
    )
    .await;
    let (alice, bearer) = app.bearer(Role::User).await;
    let mut on_a = Frames::new(
        call_service(
            &svc_a,
            get(&bearer, "/api/v1/notifications/stream").to_request(),
        )
        .await
        .into_body(),
    );
    let mut on_b = Frames::new(
        call_service(
            &svc_b,
            get(&bearer, "/api/v1/notifications/stream").to_request(),
        )
        .await
        .into_body(),
    );
    assert_eq!(
        on_a.next(Duration::from_secs(5)).await.unwrap().event,
        "ready"
    );
    assert_eq!(
        on_b.next(Duration::from_secs(5)).await.unwrap().event,
        "ready"
    );
    let n = add(&app, alice, "to every replica");
    // Published until both hubs hear it (each subscribes asynchronously on its first stream).
    let (mut a, mut b) = (None, None);
    for _ in 0..50 {
        publish(&app, &n).await;
        if a.is_none() {
            a = on_a.next(Duration::from_millis(100)).await;
        }
        if b.is_none() {
            b = on_b.next(Duration::from_millis(100)).await;
        }
        if a.is_some() && b.is_some() {
            break;
        }
    }
    assert_eq!(a.expect("replica A delivered").id, Some(n.id));
    assert_eq!(b.expect("replica B delivered").id, Some(n.id));
}
