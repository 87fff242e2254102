//! Mail ingest benchmark (issue 4, "Benchmark"), run through `ops/bench/mail-ingest`: a throwaway Dovecot
//! on loopback is loaded with the messages of an mbox file, then, alternately, the platform's IMAP sync
//! (`sync_account`, in a child process of its own on a fresh database) and `mbsync` (into an empty Maildir)
//! pull the whole INBOX. Each pull runs under `/usr/bin/time` for its wall time and peak RSS.
//!
//!   mail_ingest run --mbox FILE [--rounds 3] [--out FILE.json]
//!   mail_ingest platform        (child; reads BENCH_* variables, prints one JSON line)
//!
//! Env: DATABASE_URL (server where fresh databases are cloned), REDIS_URL, MAIL_BATCH_SIZE (UID FETCH batch,
//! default the platform's), BENCH_TOOLS (comma-separated subset of mbsync,mbsync-nofsync,platform, for
//! profiling one of them).

mod mbsync;
mod platform;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use shared::test_utils::Dovecot;

const USER: &str = "bench";
const PASSWORD: &str = "bench-imap-password";

/// One timed pull of the mailbox.
#[derive(Debug, Clone, Serialize)]
pub struct Pull {
    pub tool: &'static str,
    pub round: usize,
    /// Process wall time, from spawn to exit (`/usr/bin/time %e`, 10 ms resolution).
    pub wall_s: f64,
    /// Peak RSS of the process (`/usr/bin/time %M`, i.e. `ru_maxrss`).
    pub max_rss_kib: u64,
    /// Messages found in the target afterwards (rows, or Maildir files).
    pub messages: usize,
    /// Platform only: time inside `sync_account` (connect to done), and threads created.
    pub sync_s: Option<f64>,
    pub threads: Option<i64>,
}

#[derive(Serialize)]
struct Report {
    messages: usize,
    bytes: u64,
    load_s: f64,
    batch_size: Option<usize>,
    mbsync_version: String,
    dovecot_version: String,
    pulls: Vec<Pull>,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("platform") => platform::child(),
        Some("run") => run(&args[1..]),
        _ => bail!(
            "usage: mail_ingest run --mbox FILE [--rounds N] [--out FILE] | mail_ingest platform"
        ),
    }
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn run(args: &[String]) -> Result<()> {
    let mbox = PathBuf::from(flag(args, "--mbox").context("--mbox FILE is required")?);
    let rounds: usize = flag(args, "--rounds").unwrap_or("3").parse()?;
    let dovecot = Dovecot::try_start(&[(USER, PASSWORD)]).map_err(anyhow::Error::msg)?;
    let started = Instant::now();
    let (messages, bytes) = load(&dovecot, &mbox)?;
    let load_s = started.elapsed().as_secs_f64();
    eprintln!(
        "== loaded {messages} messages, {:.1} MB into Dovecot in {load_s:.1} s",
        bytes as f64 / 1e6
    );
    let mut pulls = Vec::new();
    for round in 1..=rounds {
        // Alternate who goes first, so neither always meets the same background load or cache state.
        let mut order = vec!["mbsync", "mbsync-nofsync", "platform"];
        if let Ok(only) = std::env::var("BENCH_TOOLS") {
            order.retain(|t| only.split(',').any(|o| o == *t));
        }
        if round % 2 == 0 {
            order.reverse();
        }
        for tool in order {
            let pull = match tool {
                "platform" => platform::pull(&dovecot, USER, PASSWORD, round)?,
                other => mbsync::pull(&dovecot, USER, PASSWORD, round, other == "mbsync")?,
            };
            eprintln!(
                "   round {round} {tool:<14} {:>6.2} s  {:>7.0} msg/s  {:>6.1} MB/s  peak RSS {:>6.1} MiB  ({} messages)",
                pull.wall_s,
                messages as f64 / pull.wall_s,
                bytes as f64 / 1e6 / pull.wall_s,
                pull.max_rss_kib as f64 / 1024.0,
                pull.messages
            );
            if pull.messages != messages {
                bail!("{tool} stored {} of {messages} messages", pull.messages);
            }
            pulls.push(pull);
        }
    }
    let report = Report {
        messages,
        bytes,
        load_s,
        batch_size: std::env::var("MAIL_BATCH_SIZE")
            .ok()
            .and_then(|v| v.parse().ok()),
        mbsync_version: version("mbsync", "--version"),
        dovecot_version: version(shared::test_utils::dovecot::DOVECOT_BIN, "--version"),
        pulls,
    };
    let json = serde_json::to_string_pretty(&report)?;
    match flag(args, "--out") {
        Some(out) => std::fs::write(out, json + "\n")?,
        None => println!("{json}"),
    }
    Ok(())
}

/// APPENDs every message of the mbox to INBOX (CRLF line ends, as IMAP carries them). Returns the count
/// and total size in bytes (what RFC822.SIZE adds up to).
fn load(dovecot: &Dovecot, mbox: &Path) -> Result<(usize, u64)> {
    let reader = mail::mbox::open(mbox).with_context(|| format!("opening {}", mbox.display()))?;
    let mut imap = dovecot.client(USER, PASSWORD);
    let (mut count, mut bytes) = (0, 0u64);
    for message in reader {
        let raw = crlf(&message?.raw);
        imap.append("INBOX", None, &raw);
        count += 1;
        bytes += raw.len() as u64;
    }
    Ok((count, bytes))
}

fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 40);
    let mut prev = 0u8;
    for &b in raw {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// Runs `cmd` under `/usr/bin/time`; returns its wall time (s), peak RSS (KiB) and stdout.
pub fn timed(cmd: &mut Command, scratch: &Path) -> Result<(f64, u64, String)> {
    let times = scratch.join("time.out");
    let program = cmd.get_program().to_owned();
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped
        .arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(&times)
        .arg(&program)
        .args(cmd.get_args())
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))));
    let out = wrapped
        .output()
        .with_context(|| format!("running {}", program.to_string_lossy()))?;
    if !out.status.success() {
        bail!(
            "{} failed: {}",
            program.to_string_lossy(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The child's warnings (a failed enqueue, say) are worth seeing next to its figures.
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&times)?;
    let last = text.lines().last().unwrap_or_default();
    let mut it = last.split_whitespace();
    let wall: f64 = it.next().context("no wall time")?.parse()?;
    let rss: u64 = it.next().context("no max RSS")?.parse()?;
    Ok((wall, rss, String::from_utf8_lossy(&out.stdout).into_owned()))
}

pub fn version(bin: &str, arg: &str) -> String {
    Command::new(bin)
        .arg(arg)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}
