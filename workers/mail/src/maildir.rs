//! Maildir reader: the messages of `cur/` and `new/` (never `tmp/`), one file in memory at a time,
//! ordered by delivery time (the leading seconds of the file name), then by name.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

pub use crate::mbox::DEFAULT_MAX_MESSAGE_BYTES;

/// One message of a Maildir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildirMessage {
    pub path: PathBuf,
    /// File bytes, up to the cap.
    pub raw: Vec<u8>,
    /// File size.
    pub size: u64,
    /// `raw` holds only the first `max_message_bytes` bytes.
    pub truncated: bool,
    /// Flags after `:2,` (e.g. "RS"); empty for `new/`.
    pub flags: String,
    /// Found in `new/` (not yet seen by a client).
    pub new: bool,
    /// Delivery time from the file name, else the file's modification time: the fallback sent date.
    pub received: Option<DateTime<Utc>>,
}

/// Iterator over a Maildir's messages.
pub struct MaildirReader {
    files: std::vec::IntoIter<Entry>,
    max_message_bytes: usize,
}

struct Entry {
    path: PathBuf,
    new: bool,
    name_time: Option<i64>,
}

/// List the messages of the Maildir at `dir` (which holds `cur/` and `new/`).
pub fn open(dir: &Path) -> io::Result<MaildirReader> {
    let mut files = Vec::new();
    let mut found_sub = false;
    for (sub, new) in [("cur", false), ("new", true)] {
        let entries = match fs::read_dir(dir.join(sub)) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        found_sub = true;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.file_type()?.is_file() {
                continue;
            }
            let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
            files.push(Entry {
                path: entry.path(),
                new,
                name_time: digits.parse().ok(),
            });
        }
    }
    if !found_sub {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "not a Maildir: no cur/ or new/ folder",
        ));
    }
    files.sort_by(|a, b| (a.name_time, a.path.file_name()).cmp(&(b.name_time, b.path.file_name())));
    Ok(MaildirReader {
        files: files.into_iter(),
        max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
    })
}

impl MaildirReader {
    /// Cap each message's kept bytes.
    pub fn with_max_message_bytes(mut self, max: usize) -> Self {
        self.max_message_bytes = max;
        self
    }

    fn read(&self, entry: Entry) -> io::Result<MaildirMessage> {
        let file = File::open(&entry.path)?;
        let meta = file.metadata()?;
        let mut raw = Vec::new();
        let cap = u64::try_from(self.max_message_bytes).unwrap_or(u64::MAX);
        file.take(cap).read_to_end(&mut raw)?;
        let name = entry
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let flags = name
            .split_once(":2,")
            .map(|(_, f)| f.to_string())
            .unwrap_or_default();
        let received = entry
            .name_time
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .or_else(|| meta.modified().ok().map(DateTime::<Utc>::from));
        Ok(MaildirMessage {
            size: meta.len(),
            truncated: meta.len() > raw.len() as u64,
            raw,
            flags,
            new: entry.new,
            received,
            path: entry.path,
        })
    }
}

impl Iterator for MaildirReader {
    type Item = io::Result<MaildirMessage>;

    fn next(&mut self) -> Option<Self::Item> {
        let entry = self.files.next()?;
        Some(self.read(entry))
    }
}
