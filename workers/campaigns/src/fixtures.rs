//! A ready-to-launch campaign for tests and benchmarks (`test-utils` feature): `n` people
//! (`r1@example.com`…), a segment of everyone, a one-step template with a link, the campaign scheduled a
//! minute ago and owned by `owner`.

use diesel::PgConnection;
use diesel::connection::SimpleConnection;
use shared::db::DbError;
use shared::models::UserId;

/// Seeds campaign 1 (segment 1, template 1) for `n` recipients; `tracking` as the campaign's switch.
pub fn seed_campaign(
    conn: &mut PgConnection,
    owner: UserId,
    n: usize,
    tracking: bool,
) -> Result<(), DbError> {
    conn.batch_execute(&format!(
        "INSERT INTO people (first_name, last_name, email) \
           SELECT 'Prénom', 'Nom' || g, 'r' || g || '@example.com' FROM generate_series(1, {n}) g; \
         INSERT INTO segments (id, name, filters, owner_id) VALUES (1, 'Tous', '{{}}', {owner}); \
         INSERT INTO mail_templates (id, name, subject, html, owner_id) VALUES (1, 'T', \
           'Bonjour {{{{ person.last_name }}}}', \
           '<html><head><style>p {{ color: #366092 }}</style></head><body>\
<p>Bonjour {{{{ person.first_name }}}} <a href=\"https://www.example.org/\">lien</a></p>\
<p><a href=\"{{{{ unsubscribe_url }}}}\">Se désinscrire</a></p></body></html>', {owner}); \
         INSERT INTO campaigns (id, name, segment_id, status, scheduled_at, tracking, owner_id) \
           VALUES (1, 'C', 1, 'scheduled', now() - interval '1 minute', {tracking}, {owner}); \
         INSERT INTO campaign_steps (campaign_id, step, template_id) VALUES (1, 1, 1)"
    ))
    .map_err(DbError::from)
}
