//! Campaign feedback read from the bounce mailbox (`CAMPAIGN_BOUNCE_ACCOUNT_ID`): bounces and complaints
//! (the reports parsed with each message, [`MailReport`]) and mailto unsubscriptions (a subject carrying a
//! signed token), recorded through `crm_campaigns::feedback`, each once. Every other mailbox receives
//! reports about its owner's own mail: those are never read for this.

use chrono::{DateTime, Utc};
use crm_campaigns::bounce::BounceKind;
use crm_campaigns::bounce::dsn::{Complaint, Dsn, DsnAction};
use crm_campaigns::feedback::{self, Event, EventKind, Source, Subject};
use crm_campaigns::links::Links;
use shared::config::CampaignConfig;
use shared::db::{DbError, PgPool, run_blocking};
use shared::keyed_hash::KeyedHasher;
use shared::models::email_account::EmailAccountId;

use super::parse::{MailReport, ParsedEmail};

/// What reading the bounce mailbox needs.
#[derive(Clone)]
pub struct CampaignFeedback {
    /// The bounce mailbox: the only account whose messages are read.
    pub account_id: EmailAccountId,
    /// Hashes the addresses reported, as the sends' addresses were (`RGPD_HASH_KEY`).
    pub hasher: KeyedHasher,
    /// `CAMPAIGN_SOFT_BOUNCE_LIMIT`: this many soft bounces suppress an address.
    pub soft_bounce_limit: u32,
    /// Verifies unsubscribe tokens; `None` without `API_PUBLIC_URL` (no campaign mail carries one then).
    pub links: Option<Links>,
}

impl std::fmt::Debug for CampaignFeedback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CampaignFeedback")
            .field("account_id", &self.account_id)
            .field("soft_bounce_limit", &self.soft_bounce_limit)
            .field("links", &self.links.is_some())
            .finish_non_exhaustive()
    }
}

impl CampaignFeedback {
    /// The context of the configured bounce mailbox; `None` when there is none.
    pub fn from_config(config: &CampaignConfig, hasher: &KeyedHasher) -> Option<Self> {
        Some(Self {
            account_id: EmailAccountId(config.bounce_account_id?),
            hasher: hasher.clone(),
            soft_bounce_limit: config.soft_bounce_limit,
            links: config
                .public_url
                .as_ref()
                .map(|url| Links::new(url, hasher.clone())),
        })
    }

    /// What a message received by the bounce mailbox reports: a bounce per failed recipient of a DSN, a
    /// complaint, or an unsubscription. Dated by the message, else now.
    pub fn events(&self, email: &ParsedEmail) -> Vec<Event> {
        let at = email.date.unwrap_or_else(Utc::now);
        match &email.report {
            Some(MailReport::Dsn(dsn)) => self.bounces(&email.message_id, dsn, at),
            Some(MailReport::Complaint(c)) => self
                .complaint(&email.message_id, c, at)
                .into_iter()
                .collect(),
            None => self.unsubscribe(email, at).into_iter().collect(),
        }
    }

    fn bounces(&self, report_id: &str, dsn: &Dsn, at: DateTime<Utc>) -> Vec<Event> {
        dsn.recipients
            .iter()
            .filter_map(|r| {
                let kind = match (r.bounce_kind(), r.action) {
                    (Some(BounceKind::Hard), _) => EventKind::BounceHard,
                    (Some(BounceKind::Soft), _) => EventKind::BounceSoft,
                    // Recorded, never counted as a bounce: the relay is still trying.
                    (None, DsnAction::Delayed) => EventKind::Deferred,
                    (None, _) => return None,
                };
                let hash = feedback::address_hash(&self.hasher, &r.address);
                let subject = dsn
                    .original_message_id
                    .clone()
                    .map_or_else(|| Subject::Address(hash.clone()), Subject::MessageId);
                Some(Event {
                    subject,
                    kind,
                    source: Source::Dsn,
                    dedupe_key: Some(format!("dsn:{report_id}:{hash}")),
                    machine: false,
                    url: None,
                    occurred_at: at,
                    address_hash: Some(hash),
                })
            })
            .collect()
    }

    fn complaint(&self, report_id: &str, c: &Complaint, at: DateTime<Utc>) -> Option<Event> {
        // "not-spam" takes a complaint back and "auth-failure" is a DMARC report: neither complains.
        if matches!(
            c.feedback_type.as_deref(),
            Some("not-spam" | "auth-failure")
        ) {
            return None;
        }
        let hash = c
            .original_rcpt_to
            .as_deref()
            .map(|a| feedback::address_hash(&self.hasher, a));
        let subject = match (&c.original_message_id, &hash) {
            (Some(id), _) => Subject::MessageId(id.clone()),
            (None, Some(h)) => Subject::Address(h.clone()),
            (None, None) => return None,
        };
        Some(Event {
            subject,
            kind: EventKind::Complaint,
            source: Source::Dsn,
            dedupe_key: Some(format!("arf:{report_id}")),
            machine: false,
            url: None,
            occurred_at: at,
            address_hash: hash,
        })
    }

    fn unsubscribe(&self, email: &ParsedEmail, at: DateTime<Utc>) -> Option<Event> {
        let send = self
            .links
            .as_ref()?
            .unsubscribe_in_subject(email.subject.as_deref()?)?;
        Some(Event {
            subject: Subject::Send(send),
            kind: EventKind::Unsubscribe,
            source: Source::Mailto,
            // The key of the HTTPS unsubscription too: one unsubscription per send, however made.
            dedupe_key: Some(format!("unsubscribe:{}", send.0)),
            machine: false,
            url: None,
            occurred_at: at,
            address_hash: None,
        })
    }
}

/// Feedback recorded from a batch: new events only (a message read again records nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FeedbackCounts {
    pub bounces: usize,
    pub complaints: usize,
    pub unsubscribes: usize,
    /// Addresses newly put on the suppression list.
    pub suppressed: usize,
}

impl FeedbackCounts {
    /// Nothing recorded.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl std::ops::AddAssign for FeedbackCounts {
    fn add_assign(&mut self, o: Self) {
        self.bounces += o.bounces;
        self.complaints += o.complaints;
        self.unsubscribes += o.unsubscribes;
        self.suppressed += o.suppressed;
    }
}

/// Records `events`, each once by its dedupe key, with their consequences (suppression, drips stopped).
pub async fn record(
    pool: &PgPool,
    events: Vec<Event>,
    soft_bounce_limit: u32,
) -> Result<FeedbackCounts, DbError> {
    if events.is_empty() {
        return Ok(FeedbackCounts::default());
    }
    run_blocking(pool, move |conn| {
        let mut counts = FeedbackCounts::default();
        for event in &events {
            let Some(recorded) = feedback::record(conn, event, soft_bounce_limit)? else {
                continue;
            };
            if !recorded.new {
                continue;
            }
            match event.kind {
                EventKind::BounceHard | EventKind::BounceSoft => counts.bounces += 1,
                EventKind::Complaint => counts.complaints += 1,
                EventKind::Unsubscribe => counts.unsubscribes += 1,
                _ => {}
            }
            counts.suppressed += usize::from(recorded.suppressed);
        }
        Ok(counts)
    })
    .await
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use super::*;
    use crate::parse::parse_message;
    use shared::models::campaign::CampaignSendId;

    fn context() -> CampaignFeedback {
        let config = CampaignConfig {
            public_url: Some(reqwest::Url::parse("https://crm.example.fr").unwrap()),
            bounce_account_id: Some(7),
            ..CampaignConfig::from_env(&shared::config::EnvSource::from_pairs(&[])).unwrap()
        };
        CampaignFeedback::from_config(&config, &KeyedHasher::new([3; 32])).unwrap()
    }

    fn dsn(status: &str, action: &str, original: &str) -> String {
        format!(
            "Message-ID: <report-1@mta.fr>\r\nDate: Tue, 8 Dec 2026 10:15:07 +0100\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n\
--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mta.fr\r\n\r\n\
Final-Recipient: rfc822; A@Example.net\r\nAction: {action}\r\nStatus: {status}\r\n\r\n\
Final-Recipient: rfc822; b@example.net\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n\
--b\r\nContent-Type: text/rfc822-headers\r\n\r\n{original}\r\n\r\n--b--\r\n"
        )
    }

    #[test]
    fn a_dsn_reports_its_failed_recipients_only() {
        let fb = context();
        let hash = feedback::address_hash(&fb.hasher, "a@example.net");
        let email = parse_message(
            dsn("5.1.1", "failed", "Message-ID: <send-9@crm.fr>").as_bytes(),
            1 << 20,
        );
        let events = fb.events(&email);
        assert_eq!(events.len(), 1, "{events:?}");
        let e = &events[0];
        assert_eq!(e.kind, EventKind::BounceHard);
        assert_eq!(e.source, Source::Dsn);
        assert_eq!(e.subject, Subject::MessageId("send-9@crm.fr".into()));
        assert_eq!(e.address_hash.as_deref(), Some(hash.as_str()));
        assert_eq!(
            e.dedupe_key.as_deref(),
            Some(format!("dsn:report-1@mta.fr:{hash}").as_str())
        );
        assert_eq!(e.occurred_at.timestamp(), 1_796_721_307);
        // No returned Message-ID: the address stands for the send.
        let email = parse_message(dsn("4.2.2", "failed", "Subject: x").as_bytes(), 1 << 20);
        let events = fb.events(&email);
        assert_eq!(events[0].kind, EventKind::BounceSoft);
        assert_eq!(events[0].subject, Subject::Address(hash));
    }

    #[test]
    fn unsubscribe_subjects_need_a_valid_token() {
        let fb = context();
        let token = fb
            .links
            .as_ref()
            .unwrap()
            .unsubscribe_token(CampaignSendId(12));
        let mail =
            |subject: &str| format!("Message-ID: <u@x.fr>\r\nSubject: {subject}\r\n\r\nbye\r\n");
        let events = fb.events(&parse_message(
            mail(&format!("unsubscribe {token}")).as_bytes(),
            1 << 20,
        ));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].subject, Subject::Send(CampaignSendId(12)));
        assert_eq!(events[0].kind, EventKind::Unsubscribe);
        assert_eq!(events[0].source, Source::Mailto);
        assert_eq!(events[0].dedupe_key.as_deref(), Some("unsubscribe:12"));
        let forged = token.replacen("12.", "13.", 1);
        for subject in [format!("unsubscribe {forged}"), "unsubscribe".into()] {
            let email = parse_message(mail(&subject).as_bytes(), 1 << 20);
            assert!(fb.events(&email).is_empty(), "{subject}");
        }
        // Without a public URL no token is checked.
        let no_links = CampaignFeedback {
            links: None,
            ..fb.clone()
        };
        let email = parse_message(mail(&format!("unsubscribe {token}")).as_bytes(), 1 << 20);
        assert!(no_links.events(&email).is_empty());
    }

    #[test]
    fn not_spam_feedback_is_no_complaint() {
        let fb = context();
        let arf = |kind: &str| {
            format!(
                "Message-ID: <arf-1@fbl.net>\r\n\
Content-Type: multipart/report; report-type=feedback-report; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nReport.\r\n\
--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: {kind}\r\n\
Original-Rcpt-To: <R@example.net>\r\n\r\n\
--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <send-3@crm.fr>\r\n\r\n--b--\r\n"
            )
        };
        let events = fb.events(&parse_message(arf("abuse").as_bytes(), 1 << 20));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, EventKind::Complaint);
        assert_eq!(
            events[0].subject,
            Subject::MessageId("send-3@crm.fr".into())
        );
        assert_eq!(events[0].dedupe_key.as_deref(), Some("arf:arf-1@fbl.net"));
        assert_eq!(
            events[0].address_hash,
            Some(feedback::address_hash(&fb.hasher, "r@example.net"))
        );
        assert!(
            fb.events(&parse_message(arf("not-spam").as_bytes(), 1 << 20))
                .is_empty()
        );
    }
}
