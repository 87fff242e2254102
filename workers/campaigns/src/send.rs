//! One campaign message: claim the send record, check everything that can stop it (campaign paused or
//! cancelled, recipient stopped, address gone or suppressed), render, sign, send, mark sent.
//!
//! Exactly once, as far as SMTP allows: the record is claimed (`sending`) in a committed transaction
//! before the SMTP transaction and marked `sent` right after the relay's `250`. A worker killed between
//! those two leaves the record `sending`; once the lease (`CAMPAIGN_SEND_LEASE_SECS`) has passed it is sent
//! again **with the same Message-ID**, fixed when the record was made, so a receiving mailbox that saw the
//! first copy can recognise the second. A worker killed before the relay's `250` sends nothing (the relay
//! drops an unfinished transaction). SMTP has no two-phase commit, so the window between `250` and the
//! commit cannot be closed entirely; it is a few milliseconds.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use crm_mailer::dkim::DkimSigner;
use crm_mailer::list_headers::{ListId, ListUnsubscribe, ListUnsubscribePost};
use crm_mailer::{Mailer, MailerError, SmtpConfig};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use shared::config::CampaignConfig;
use shared::db::{DbError, PgPool, run_blocking};
use shared::keyed_hash::KeyedHasher;
use shared::models::campaign::CampaignSendId;

use crate::feedback::{self, Event, EventKind, Source, Subject};
use crate::links::Links;
use crate::template::{TemplateSource, render};
use crate::tracking;

/// A send is given up (`failed`) after this many claimed attempts.
pub const MAX_SEND_ATTEMPTS: i32 = 5;

/// What sending needs, built once per worker process.
#[derive(Clone)]
pub struct CampaignEnv {
    pub pool: PgPool,
    /// `SMTP_*`; `None`: campaigns cannot send (their jobs fail and retry until it is set).
    pub smtp: Option<SmtpConfig>,
    /// `DKIM_*`; `None`: messages go unsigned.
    pub dkim: Option<Arc<DkimSigner>>,
    pub config: CampaignConfig,
    pub hasher: KeyedHasher,
    pub egress: egress::EgressPolicy,
    mailer: Arc<tokio::sync::OnceCell<Mailer>>,
}

impl CampaignEnv {
    pub fn new(
        pool: PgPool,
        smtp: Option<SmtpConfig>,
        dkim: Option<Arc<DkimSigner>>,
        config: CampaignConfig,
        hasher: KeyedHasher,
        egress: egress::EgressPolicy,
    ) -> Self {
        Self {
            pool,
            smtp,
            dkim,
            config,
            hasher,
            egress,
            mailer: Arc::default(),
        }
    }

    /// The right-hand side of campaign Message-IDs: the sender's domain.
    pub fn message_domain(&self) -> String {
        self.smtp
            .as_ref()
            .map(|s| s.from.email.domain().to_owned())
            .unwrap_or_else(|| "localhost".into())
    }

    /// The process's pooled SMTP transport, made on first use (the relay resolved through the egress
    /// policy).
    async fn mailer(&self) -> Result<&Mailer, SendError> {
        let smtp = self.smtp.as_ref().ok_or(SendError::NoSmtp)?;
        self.mailer
            .get_or_try_init(|| Mailer::connect(smtp, &self.egress))
            .await
            .map_err(SendError::Smtp)
    }
}

/// How one send ended when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Sent,
    /// Already sent, failed or skipped by an earlier job.
    AlreadyDone,
    /// The campaign is paused: the record stays pending and is handed over again on resume.
    Paused,
    Skipped {
        reason: String,
    },
    /// Refused for good (the relay's 5xx, an unusable address or template); not retried.
    Failed {
        reason: String,
    },
}

/// Why a send must be tried again later. Texts hold no address or content.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("database")]
    Db(#[from] DbError),
    #[error("another job claimed this send less than the lease ago")]
    InFlight,
    #[error("SMTP_URL is not set: campaign mail cannot be sent")]
    NoSmtp,
    #[error("API_PUBLIC_URL is not set: campaign links cannot be made")]
    NoPublicUrl,
    #[error("sending")]
    Smtp(#[source] MailerError),
}

/// The send record, where it stands and what its message needs, read in one query under the record's
/// lock.
#[derive(Debug, QueryableByName)]
struct Claim {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    claimed_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Text)]
    campaign_status: String,
    #[diesel(sql_type = Text)]
    recipient_state: String,
    #[diesel(sql_type = Nullable<Text>)]
    stop_reason: Option<String>,
    #[diesel(sql_type = BigInt)]
    campaign_id: i64,
    #[diesel(sql_type = Text)]
    campaign_name: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    tracking: bool,
    #[diesel(sql_type = Text)]
    variant: String,
    #[diesel(sql_type = Text)]
    message_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    email: Option<String>,
    #[diesel(sql_type = Text)]
    first_name: String,
    #[diesel(sql_type = Text)]
    last_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    org_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    org_city: Option<String>,
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Nullable<Text>)]
    subject_b: Option<String>,
    #[diesel(sql_type = Text)]
    html: String,
    #[diesel(sql_type = Nullable<Text>)]
    text_body: Option<String>,
}

enum Claimed {
    Go(Box<Claim>),
    Done(Outcome),
}

/// Ends the drip of send `id`'s recipient, for `reason`, if it is still running.
fn stop_recipient(conn: &mut PgConnection, id: i64, reason: &str) -> Result<(), DbError> {
    diesel::sql_query(
        "UPDATE campaign_recipients r SET state = 'stopped', stop_reason = $2 \
         FROM campaign_sends s WHERE s.id = $1 AND r.campaign_id = s.campaign_id \
           AND r.person_id = s.person_id AND r.state = 'active'",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(reason)
    .execute(conn)?;
    Ok(())
}

fn skip(conn: &mut PgConnection, id: i64, reason: &str, stop: Option<&str>) -> Result<(), DbError> {
    diesel::sql_query(
        "UPDATE campaign_sends SET status = 'skipped', skip_reason = $2 WHERE id = $1",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(reason)
    .execute(conn)?;
    match stop {
        Some(stop) => stop_recipient(conn, id, stop),
        None => Ok(()),
    }
}

fn fail(conn: &mut PgConnection, id: i64, reason: &str) -> Result<(), DbError> {
    diesel::sql_query("UPDATE campaign_sends SET status = 'failed', error = $2 WHERE id = $1")
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(reason)
        .execute(conn)?;
    stop_recipient(conn, id, "failed")
}

/// Claims record `id` when it may be sent now; otherwise says why not (and records it).
fn claim(
    conn: &mut PgConnection,
    id: i64,
    hasher: &KeyedHasher,
    lease_secs: i64,
) -> Result<Result<Claimed, SendError>, DbError> {
    conn.transaction(|conn| {
        let Some(state) = diesel::sql_query(
            "SELECT s.status, s.claimed_at, s.attempts, c.status AS campaign_status, \
                    r.state AS recipient_state, r.stop_reason, \
                    s.campaign_id, c.name AS campaign_name, c.tracking, s.variant, s.message_id, \
                    p.email, p.first_name, p.last_name, p.title, o.name AS org_name, o.city AS org_city, \
                    t.subject, st.subject_b, t.html, t.text_body \
             FROM campaign_sends s \
             JOIN campaigns c ON c.id = s.campaign_id \
             JOIN campaign_recipients r ON r.campaign_id = s.campaign_id AND r.person_id = s.person_id \
             JOIN campaign_steps st ON st.campaign_id = s.campaign_id AND st.step = s.step \
             JOIN mail_templates t ON t.id = st.template_id \
             JOIN people p ON p.id = s.person_id \
             LEFT JOIN LATERAL (SELECT o.name, o.city FROM person_organisation_links l \
                 JOIN organisations o ON o.id = l.organisation_id WHERE l.person_id = p.id \
                 ORDER BY l.is_primary DESC, l.id LIMIT 1) o ON true \
             WHERE s.id = $1 FOR UPDATE OF s",
        )
        .bind::<BigInt, _>(id)
        .get_result::<Claim>(conn)
        .optional()?
        else {
            return Ok(Ok(Claimed::Done(Outcome::Skipped {
                reason: "the send record no longer exists".into(),
            })));
        };
        match state.status.as_str() {
            "pending" => {}
            "sending"
                if state
                    .claimed_at
                    .is_some_and(|t| (Utc::now() - t).num_seconds() < lease_secs) =>
            {
                return Ok(Err(SendError::InFlight));
            }
            "sending" => {}
            _ => return Ok(Ok(Claimed::Done(Outcome::AlreadyDone))),
        }
        match state.campaign_status.as_str() {
            "sending" => {}
            "cancelled" => {
                skip(conn, id, "cancelled", None)?;
                return Ok(Ok(Claimed::Done(Outcome::Skipped {
                    reason: "cancelled".into(),
                })));
            }
            _ => {
                // Paused (the kill switch) or back to scheduled: hand it over again on resume.
                diesel::sql_query(
                    "UPDATE campaign_sends SET status = 'pending', enqueued_at = NULL WHERE id = $1",
                )
                .bind::<BigInt, _>(id)
                .execute(conn)?;
                return Ok(Ok(Claimed::Done(Outcome::Paused)));
            }
        }
        if state.recipient_state != "active" {
            let reason = state.stop_reason.clone().unwrap_or_else(|| "stopped".into());
            skip(conn, id, &reason, None)?;
            return Ok(Ok(Claimed::Done(Outcome::Skipped { reason })));
        }
        let Some(email) = state.email.as_deref() else {
            skip(conn, id, "no_address", Some("no_address"))?;
            return Ok(Ok(Claimed::Done(Outcome::Skipped {
                reason: "no_address".into(),
            })));
        };
        let hash = feedback::address_hash(hasher, email);
        if shared::models::campaign::suppression_reason(conn, &hash)?.is_some() {
            skip(conn, id, "suppressed", Some("suppressed"))?;
            return Ok(Ok(Claimed::Done(Outcome::Skipped {
                reason: "suppressed".into(),
            })));
        }
        if state.attempts >= MAX_SEND_ATTEMPTS {
            fail(conn, id, "gave up after repeated attempts")?;
            return Ok(Ok(Claimed::Done(Outcome::Failed {
                reason: "gave up after repeated attempts".into(),
            })));
        }
        diesel::sql_query(
            "UPDATE campaign_sends SET status = 'sending', claimed_at = now(), \
                 attempts = attempts + 1, address_hash = $2 WHERE id = $1",
        )
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(&hash)
        .execute(conn)?;
        Ok(Ok(Claimed::Go(Box::new(state))))
    })
}

/// Sends record `send`. `Ok` when the record is final or deliberately left (paused); `Err` when a retry
/// may succeed.
pub async fn send_one(env: &CampaignEnv, send: CampaignSendId) -> Result<Outcome, SendError> {
    let result = attempt(env, send).await;
    let outcome = match &result {
        Ok(Outcome::Sent) => "sent",
        Ok(Outcome::AlreadyDone) => "already_done",
        Ok(Outcome::Paused) => "paused",
        Ok(Outcome::Skipped { .. }) => "skipped",
        Ok(Outcome::Failed { .. }) => "failed",
        Err(_) => "retry",
    };
    metrics::counter!("campaign_messages_total", "outcome" => outcome).increment(1);
    result
}

async fn attempt(env: &CampaignEnv, send: CampaignSendId) -> Result<Outcome, SendError> {
    let links = env
        .config
        .public_url
        .as_ref()
        .map(|u| Links::new(u, env.hasher.clone()))
        .ok_or(SendError::NoPublicUrl)?;
    let mailer = env.mailer().await?;
    let (hasher, lease) = (env.hasher.clone(), env.config.send_lease.as_secs() as i64);
    let claimed =
        run_blocking(&env.pool, move |conn| claim(conn, send.0, &hasher, lease)).await??;
    let claim = match claimed {
        Claimed::Done(outcome) => return Ok(outcome),
        Claimed::Go(c) => c,
    };
    let message = match build(env, &links, mailer.from(), send, &claim) {
        Ok(m) => m,
        Err(reason) => {
            let r = reason.clone();
            run_blocking(&env.pool, move |conn| fail(conn, send.0, &r)).await?;
            return Ok(Outcome::Failed { reason });
        }
    };
    match mailer.send(message).await {
        Ok(()) => {
            run_blocking(&env.pool, move |conn| mark_sent(conn, send.0)).await?;
            Ok(Outcome::Sent)
        }
        Err(e) if e.is_permanent() => {
            let reason = e.to_string();
            let (r, limit) = (reason.clone(), env.config.soft_bounce_limit);
            run_blocking(&env.pool, move |conn| {
                fail(conn, send.0, &r)?;
                // The relay refused the recipient itself: a bounce we saw first hand.
                feedback::record(
                    conn,
                    &Event {
                        subject: Subject::Send(send),
                        kind: EventKind::BounceHard,
                        source: Source::Smtp,
                        dedupe_key: Some(format!("smtp:{}", send.0)),
                        machine: false,
                        url: None,
                        occurred_at: Utc::now(),
                        address_hash: None,
                    },
                    limit,
                )
                .map(|_| ())
            })
            .await?;
            Ok(Outcome::Failed { reason })
        }
        Err(e) => {
            // Nothing was accepted: release the claim so the retry (or another job) may send it.
            run_blocking(&env.pool, move |conn| {
                diesel::sql_query(
                    "UPDATE campaign_sends SET status = 'pending', claimed_at = NULL WHERE id = $1 \
                     AND status = 'sending'",
                )
                .bind::<BigInt, _>(send.0)
                .execute(conn)
                .map_err(DbError::from)
            })
            .await?;
            Err(SendError::Smtp(e))
        }
    }
}

fn mark_sent(conn: &mut PgConnection, id: i64) -> Result<(), DbError> {
    // One statement (one commit): the window between the relay's 250 and this commit is the only one in
    // which a crash makes a second copy.
    diesel::sql_query(
        "WITH s AS (UPDATE campaign_sends SET status = 'sent', sent_at = now(), error = NULL \
                    WHERE id = $1 RETURNING campaign_id, person_id, step) \
         UPDATE campaign_recipients r SET state = 'done' FROM s \
         WHERE r.campaign_id = s.campaign_id AND r.person_id = s.person_id AND r.state = 'active' \
           AND s.step = (SELECT max(step) FROM campaign_steps st WHERE st.campaign_id = s.campaign_id)",
    )
    .bind::<BigInt, _>(id)
    .execute(conn)?;
    Ok(())
}

/// The message for one claimed record; `Err` holds why it cannot be made (recorded as the failure).
fn build(
    env: &CampaignEnv,
    links: &Links,
    from: &Mailbox,
    send: CampaignSendId,
    c: &Claim,
) -> Result<Message, String> {
    let unsubscribe = links.unsubscribe_url(send);
    let vars = serde_json::json!({
        "person": { "first_name": c.first_name, "last_name": c.last_name, "title": c.title },
        "organisation": { "name": c.org_name, "city": c.org_city },
        "campaign": { "name": c.campaign_name },
        "unsubscribe_url": unsubscribe,
    });
    let subject = match (&c.subject_b, c.variant.as_str()) {
        (Some(b), "b") => b.as_str(),
        _ => c.subject.as_str(),
    };
    let source = TemplateSource {
        subject,
        html: &c.html,
        text: c.text_body.as_deref(),
    };
    let rendered = render(&source, &vars).map_err(|e| format!("template: {e}"))?;
    let html = if c.tracking {
        tracking::rewrite(
            &rendered.html,
            &unsubscribe,
            Some(&links.open_url(send)),
            |url| Some(links.click_url(send, url)),
        )
        .map_err(|e| format!("tracking: {e}"))?
    } else {
        rendered.html
    };
    let email = c.email.as_deref().unwrap_or_default();
    let to: Mailbox = email
        .parse::<lettre::Address>()
        .map(|a| {
            let name = format!("{} {}", c.first_name, c.last_name);
            Mailbox::new(Some(name.trim().to_owned()).filter(|n| !n.is_empty()), a)
        })
        .map_err(|_| "the recipient's address is not a valid address".to_owned())?;
    let mut uris = vec![unsubscribe.clone()];
    if let Some(mailto) = &env.config.unsubscribe_mailto {
        uris.push(links.unsubscribe_mailto(mailto, send));
    }
    let list_domain = env
        .config
        .list_id_domain()
        .unwrap_or_else(|| env.message_domain());
    let mut message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(rendered.subject)
        .message_id(Some(format!("<{}>", c.message_id)))
        .header(ListUnsubscribe::from_uris(uris.iter().map(String::as_str)))
        .header(ListUnsubscribePost)
        .header(ListId(format!(
            "<campaign-{}.{}>",
            c.campaign_id, list_domain
        )))
        .multipart(MultiPart::alternative_plain_html(rendered.text, html))
        .map_err(|e| format!("message: {e}"))?;
    if let Some(dkim) = &env.dkim {
        dkim.sign(&mut message);
    }
    Ok(message)
}
