//! The daily digest (`notify.email_digest`): for each active user, one email listing their unread
//! notifications of the kinds they set to `email`, not yet emailed, of the last 7 days. A notification is
//! marked emailed once the relay accepted the message, so a retry sends only what is left.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::UserId;
use shared::models::notification::Notification;
use shared::schema::{notification_preferences as p, notifications as n, users as u};

use crate::{Mailer, MailerError};

/// How far back a digest looks.
const WINDOW_DAYS: i64 = 7;
/// Notifications listed in one digest at most (the rest are in the app).
const MAX_ITEMS: usize = 50;

/// What a digest run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DigestReport {
    pub users: usize,
    pub notifications: usize,
    /// Users whose digest could not be sent this time (kept for the retry).
    pub failed: usize,
}

/// The pending digest of every user: (user, address, notifications).
fn pending(conn: &mut PgConnection) -> Result<Vec<(UserId, String, Vec<Notification>)>, DbError> {
    let since = Utc::now() - Duration::days(WINDOW_DAYS);
    let rows: Vec<(Notification, String)> = n::table
        .inner_join(u::table.on(u::id.eq(n::user_id).and(u::active)))
        .inner_join(
            p::table.on(p::user_id
                .eq(n::user_id)
                .and(p::kind.eq(n::kind))
                .and(p::channel.eq("email"))),
        )
        .filter(n::emailed_at.is_null())
        .filter(n::read_at.is_null())
        .filter(n::created_at.gt(since))
        .select((Notification::as_select(), u::email))
        .order((n::user_id, n::id))
        .load(conn)?;
    let mut by_user: BTreeMap<UserId, (String, Vec<Notification>)> = BTreeMap::new();
    for (note, email) in rows {
        by_user
            .entry(note.user_id)
            .or_insert_with(|| (email, Vec::new()))
            .1
            .push(note);
    }
    Ok(by_user
        .into_iter()
        .map(|(user, (email, notes))| (user, email, notes))
        .collect())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The digest message for `notes` (text and HTML parts).
pub fn message(
    from: &Mailbox,
    to: Mailbox,
    notes: &[Notification],
    link_base: Option<&str>,
) -> Result<Message, lettre::error::Error> {
    let link = |n: &Notification| {
        n.link
            .as_deref()
            .map(|l| format!("{}{l}", link_base.unwrap_or("").trim_end_matches('/')))
    };
    let shown = &notes[..notes.len().min(MAX_ITEMS)];
    let mut text = format!("Vous avez {} notification(s) non lue(s) :\n\n", notes.len());
    let mut html = format!(
        "<p>Vous avez {} notification(s) non lue(s) :</p><ul>",
        notes.len()
    );
    for note in shown {
        text.push_str(&format!("- {}\n  {}\n", note.title, note.body));
        html.push_str(&format!(
            "<li><strong>{}</strong><br>{}",
            escape(&note.title),
            escape(&note.body)
        ));
        if let Some(l) = link(note).filter(|_| link_base.is_some()) {
            text.push_str(&format!("  {l}\n"));
            html.push_str(&format!("<br><a href=\"{0}\">{0}</a>", escape(&l)));
        }
        html.push_str("</li>");
        text.push('\n');
    }
    if notes.len() > shown.len() {
        let more = notes.len() - shown.len();
        text.push_str(&format!("… et {more} autre(s) dans le CRM.\n"));
        html.push_str(&format!("<li>… et {more} autre(s) dans le CRM.</li>"));
    }
    html.push_str("</ul>");
    text.push_str(
        "\nChoisissez ce que vous recevez par email dans vos préférences de notification.\n",
    );
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(format!("CRM : {} notification(s)", notes.len()))
        .multipart(MultiPart::alternative_plain_html(text, html))
}

/// Sends every pending digest; `Err` only when the database fails. Users whose digest failed are
/// counted in `failed` and kept for the next run.
pub async fn send_all(
    pool: &PgPool,
    mailer: &Mailer,
    link_base: Option<&str>,
) -> Result<(DigestReport, Option<MailerError>), DbError> {
    let digests = run_blocking(pool, pending).await?;
    let mut report = DigestReport::default();
    let mut last_error = None;
    for (user, email, notes) in digests {
        let Ok(to) = email.parse::<Mailbox>() else {
            tracing::warn!(
                user_id = user.0,
                "digest skipped: the account's address is not valid"
            );
            report.failed += 1;
            continue;
        };
        let sent = match message(mailer.from(), to, &notes, link_base) {
            Ok(m) => mailer.send(m).await,
            Err(e) => {
                tracing::warn!(user_id = user.0, error = %e, "digest could not be built");
                report.failed += 1;
                continue;
            }
        };
        match sent {
            Ok(()) => {
                let ids: Vec<i64> = notes.iter().map(|n| n.id).collect();
                run_blocking(pool, move |c| {
                    diesel::update(n::table.filter(n::id.eq_any(ids)))
                        .set(n::emailed_at.eq(diesel::dsl::now))
                        .execute(c)?;
                    Ok(())
                })
                .await?;
                report.users += 1;
                report.notifications += notes.len();
            }
            Err(e) => {
                tracing::warn!(user_id = user.0, error = %e, "digest not sent");
                report.failed += 1;
                last_error = Some(e);
            }
        }
    }
    Ok((report, last_error))
}
