//! Autofill benchmark (issue 15, "Tests and figures"), run through `ops/bench/autofill`: a fresh database
//! is filled with a mailbox (the demo mbox, or a synthetic one of N emails), every inbound email is
//! analysed by the built-in analyser as `intel.analyze_email` does, then one autofill batch reads them all.
//! Reported: emails and suggestions per second of the batch, and its peak RSS (the process's high-water
//! mark, reset just before the batch through `/proc/self/clear_refs`).
//!
//!   bench --mbox FILE              the demo mailbox
//!   bench --synthetic N [--seed S] N generated emails (senders of 600 companies, half of them in the CRM)
//!
//! Env: DATABASE_URL (the server where the scratch database is created and dropped). Prints one JSON line.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use crm_autofill::{BatchOptions, run_batch};
use serde_json::json;
use shared::db::{build_pool, run_migrations};
use shared::models::email_account::{
    EmailAccountId, ImapAuth, ImapSecurity, NewEmailAccount, Provider, create_account,
};
use shared::models::interaction::{self, Direction, NewInteraction};
use shared::models::organisation::{NewOrganisation, OrgType, create_organisation};
use shared::models::user::{Role, create_user};
use shared::progress::NoProgress;
use shared::scratch_db::ScratchDb;

const ACCOUNT: &str = "camille.lefort@distri-demo.fr";

/// A small deterministic generator (SplitMix64), so every run measures the same mailbox.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Jeanne",
    "Marc",
    "Sophie",
    "Olivier",
    "Claire",
    "Thomas",
    "Isabelle",
    "Nicolas",
    "Hélène",
    "Julien",
    "Anne",
    "Pierre",
    "Lucie",
    "François",
    "Élodie",
    "Antoine",
    "Margaux",
    "Bruno",
    "Nathalie",
    "Yann",
];
const LAST: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubreuil",
    "Lambert",
    "Garnier",
    "Rousseau",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Chevalier",
    "Perrin",
    "Marchand",
    "Lemoine",
    "Roux",
    "Vasseur",
    "Caradec",
    "Aubry",
];
const TITLES: &[&str] = &[
    "Directeur des investissements",
    "Responsable sélection de fonds",
    "Conseillère en gestion de patrimoine",
    "Directrice financière",
    "Gérant",
    "Responsable partenariats",
    "Analyste",
    "Trésorier",
];
const WORDS: &[&str] = &[
    "Gestion",
    "Patrimoine",
    "Conseil",
    "Finance",
    "Capital",
    "Partenaires",
    "Invest",
    "Horizon",
    "Atlas",
    "Boréal",
    "Azur",
    "Valmont",
    "Arcadie",
    "Kermadec",
    "Ostrea",
    "Lumière",
];
const BODIES: &[&str] = &[
    "Bonjour,\n\nPourriez-vous m'envoyer le dernier reporting du fonds ?\n",
    "Bonjour,\n\nJe vous confirme notre intérêt pour une souscription en part I.\n",
    "Bonjour,\n\nSeriez-vous disponible jeudi pour un point sur la sélection de fonds ?\n",
    "Bonjour,\n\nMerci pour la documentation, nous revenons vers vous rapidement.\n",
];

/// One generated email: sender, name, body with signature.
fn synthetic(n: usize, seed: u64) -> Vec<(String, String, String, String)> {
    let mut rng = Rng(seed);
    let companies: Vec<(String, String)> = (0..600)
        .map(|i| {
            let name = format!("{} {} {}", rng.pick(WORDS), rng.pick(WORDS), i);
            let domain = format!("{}-{}.fr", rng.pick(WORDS).to_lowercase(), i);
            (name, domain.replace(['é', 'è'], "e"))
        })
        .collect();
    let senders = (n / 4).max(1);
    // A sender keeps their name, title and numbers from one email to the next.
    let people: Vec<(String, String, String, usize, u64, u64)> = (0..senders)
        .map(|i| {
            let (first, last) = (rng.pick(FIRST), rng.pick(LAST));
            let company = (rng.next() % companies.len() as u64) as usize;
            let email = format!(
                "{}.{}{}@{}",
                first.to_lowercase(),
                last.to_lowercase(),
                i,
                companies[company].1
            )
            .replace(['é', 'è'], "e")
            .replace('ç', "c");
            let phone = 10_000_000 + rng.next() % 89_999_999;
            let mobile = 10_000_000 + rng.next() % 89_999_999;
            let title = rng.pick(TITLES).to_owned();
            (
                format!("{first} {last}"),
                email,
                title,
                company,
                phone,
                mobile,
            )
        })
        .collect();
    (0..n)
        .map(|i| {
            let (name, email, title, company, phone, mobile) = &people[i % senders];
            let body = format!(
                "{}\nCordialement,\n\n{name}\n{title}\n{}\nTél. : +33 1 {} {} {} {}\nMobile : 06 {} {} {} {}\n",
                rng.pick(BODIES),
                companies[*company].0,
                phone / 1_000_000 % 100,
                phone / 10_000 % 100,
                phone / 100 % 100,
                phone % 100,
                mobile / 1_000_000 % 100,
                mobile / 10_000 % 100,
                mobile / 100 % 100,
                mobile % 100,
            );
            (email.clone(), name.clone(), body, companies[*company].1.clone())
        })
        .collect()
}

fn row(
    account: EmailAccountId,
    from: &str,
    name: Option<String>,
    subject: Option<String>,
    body: Option<String>,
) -> NewInteraction {
    let outbound = from.eq_ignore_ascii_case(ACCOUNT);
    NewInteraction {
        account_id: Some(account),
        from_name: name,
        subject,
        direction: if outbound {
            Direction::Outbound
        } else {
            Direction::Inbound
        },
        body_text: body,
        ..NewInteraction::inbound(&from.to_lowercase(), "", "")
    }
}

/// Peak resident set since the last reset, in kB.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let mbox = arg("--mbox").map(PathBuf::from);
    let synthetic_n: Option<usize> = arg("--synthetic").map(|n| n.parse()).transpose()?;
    let seed: u64 = arg("--seed")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(2026);
    if mbox.is_none() == synthetic_n.is_none() {
        bail!("usage: bench --mbox FILE | --synthetic N [--seed S]");
    }
    let admin_url = std::env::var("DATABASE_URL").context("DATABASE_URL")?;
    let name = format!(
        "autofill_bench_{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let scratch = ScratchDb::create(&admin_url, &name, None)?;
    let pool = build_pool(&scratch.url(), 4)?;
    let mut conn = pool.get()?;
    run_migrations(&mut conn)?;
    let owner = create_user(
        &mut conn,
        "bench@crm.test",
        "bench password 1234",
        Role::Admin,
        None,
    )?
    .id;
    let account = create_account(
        &mut conn,
        &NewEmailAccount {
            owner_user_id: owner,
            provider: Provider::Imap,
            address: ACCOUNT.into(),
            imap_host: Some("imap.invalid".into()),
            imap_port: Some(993),
            imap_security: Some(ImapSecurity::Tls),
            imap_auth: ImapAuth::Login,
            username: None,
            secret_ciphertext: None,
            token_expires_at: None,
            folders: vec!["INBOX".into()],
        },
    )?
    .id;

    // The mailbox, and half of its senders' companies as organisations of the CRM.
    let mut rows = Vec::new();
    let mut domains = std::collections::BTreeSet::new();
    let label = if let Some(path) = &mbox {
        for m in mail::mbox::open(path)? {
            let p = mail::parse::parse_message(&m?.raw, 1 << 20);
            let Some(from) = p.from.first() else { continue };
            if let Some((_, d)) = from.address.rsplit_once('@') {
                domains.insert(d.to_owned());
            }
            rows.push(row(
                account,
                &from.address,
                from.name.clone(),
                p.subject.clone(),
                p.text.clone(),
            ));
        }
        format!("demo mailbox ({})", path.display())
    } else {
        let n = synthetic_n.unwrap_or(0);
        for (from, name, body, domain) in synthetic(n, seed) {
            domains.insert(domain);
            rows.push(row(
                account,
                &from,
                Some(name),
                Some("Fonds".into()),
                Some(body),
            ));
        }
        format!("synthetic mailbox ({n} emails, seed {seed})")
    };
    for (i, d) in domains.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        let mut org = NewOrganisation::new(format!("Organisation {i}"), OrgType::Distributor);
        org.website = Some(format!("https://www.{d}"));
        create_organisation(&mut conn, &org)?;
    }
    let mut ids = Vec::new();
    for chunk in rows.chunks(1_000) {
        ids.extend(
            interaction::insert_new(&mut conn, chunk)?
                .into_iter()
                .map(|(id, _)| id.0),
        );
    }
    drop(conn);
    let inbound = rows
        .iter()
        .filter(|r| r.direction == Direction::Inbound)
        .count();
    let analyzer = llm::Analyzer::from_env(|_| None)?;
    let started = Instant::now();
    for (id, r) in ids.iter().zip(&rows) {
        if r.direction == Direction::Inbound {
            crm_analysis::analyze_interaction(&pool, &analyzer, *id)
                .await
                .map_err(|e| anyhow::anyhow!("analysing: {}", e.describe()))?;
        }
    }
    let analysis_secs = started.elapsed().as_secs_f64();

    // The measured part: one batch over every email.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = peak_rss_kb();
    let opts = BatchOptions {
        limit: rows.len(),
        account_id: None,
        auto_apply: 0.92,
    };
    let started = Instant::now();
    let out = run_batch(&pool, &opts, &NoProgress).await?;
    let secs = started.elapsed().as_secs_f64();
    let peak = peak_rss_kb();
    drop(pool);
    scratch.drop_now()?;
    println!(
        "{}",
        json!({
            "mailbox": label,
            "emails": rows.len(),
            "inbound": inbound,
            "analysis_secs": (analysis_secs * 100.0).round() / 100.0,
            "batch_secs": (secs * 1000.0).round() / 1000.0,
            "emails_read": out.emails,
            "suggestions": out.suggestions,
            "auto_applied": out.auto_applied,
            "duplicates": out.duplicates,
            "nothing_new": out.nothing_new,
            "skipped": out.skipped,
            "emails_per_sec": (out.emails as f64 / secs).round(),
            "suggestions_per_sec": (out.suggestions as f64 / secs).round(),
            "peak_rss_mb": (peak as f64 / 1024.0 * 10.0).round() / 10.0,
            "rss_at_start_mb": (rss_before as f64 / 1024.0 * 10.0).round() / 10.0,
        })
    );
    Ok(())
}
