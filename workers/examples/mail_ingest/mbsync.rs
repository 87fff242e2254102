//! One `mbsync` pull of the benchmark mailbox into an empty Maildir.

use std::process::Command;

use anyhow::{Context, Result};
use shared::test_utils::Dovecot;

use crate::{Pull, timed};

/// Pulls INBOX with a minimal configuration: plain IMAP on loopback, LOGIN, new messages only
/// (`Sync Pull`), the local folder created (`Create Near`), sync state inside the Maildir. With `fsync`
/// false, `FSync no`: mbsync's default flushes every message to disk, which a Maildir copy for reading
/// may not need; both are measured.
pub fn pull(
    dovecot: &Dovecot,
    user: &str,
    password: &str,
    round: usize,
    fsync: bool,
) -> Result<Pull> {
    let scratch = tempfile::Builder::new().prefix("crm-mbsync-").tempdir()?;
    let maildir = scratch.path().join("mail");
    std::fs::create_dir_all(&maildir)?;
    let rc = scratch.path().join("mbsyncrc");
    std::fs::write(
        &rc,
        format!(
            "FSync {fsync}\n\nIMAPAccount bench\nHost {host}\nPort {port}\nUser {user}\nPass {password}\n{tls} None\n\
             AuthMechs LOGIN\n\nIMAPStore far\nAccount bench\n\nMaildirStore near\nPath {dir}/\n\
             Inbox {dir}/INBOX\n\nChannel bench\nFar :far:\nNear :near:\nPatterns INBOX\nSync Pull\n\
             Create Near\nSyncState *\n",
            fsync = if fsync { "yes" } else { "no" },
            tls = tls_keyword(),
            host = dovecot.host(),
            port = dovecot.port(),
            dir = maildir.display(),
        ),
    )?;
    let (wall_s, max_rss_kib, _) = timed(
        Command::new("mbsync")
            .arg("-q")
            .arg("-c")
            .arg(&rc)
            .arg("bench"),
        scratch.path(),
    )
    .context("mbsync")?;
    let mut messages = 0;
    for sub in ["cur", "new"] {
        messages += std::fs::read_dir(maildir.join("INBOX").join(sub))?.count();
    }
    Ok(Pull {
        tool: if fsync { "mbsync" } else { "mbsync-nofsync" },
        round,
        wall_s,
        max_rss_kib,
        messages,
        sync_s: None,
        threads: None,
    })
}

/// isync 1.5 renamed `SSLType` to `TLSType` (Debian 12 ships 1.4).
fn tls_keyword() -> &'static str {
    let version = crate::version("mbsync", "--version");
    let mut parts = version
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    match (parts.next(), parts.next()) {
        (Some(major), Some(minor)) if (major, minor) < (1, 5) => "SSLType",
        _ => "TLSType",
    }
}
