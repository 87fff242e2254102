//! Streaming mbox reader (mboxrd and mboxo): one message in memory at a time, lines read in bounded
//! chunks, so neither a 1 GB mailbox nor a 1 GB line is loaded whole.
//!
//! A separator is a line starting with `From ` that opens the file, follows a blank line, or carries
//! a valid ctime date (some writers omit the blank line). The blank line before a separator belongs
//! to the mbox, not to the message. `>From `, `>>From `... lose one `>` (mboxrd; for mboxo this is the
//! usual reading). Bytes before the first separator, if not blank, are returned as a message without
//! a From_ line date.

mod from_line;

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, Utc};

pub use from_line::parse_from_line_date;

/// Default per-message cap: larger messages are cut there (`truncated`); their headers stay readable.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// Lines are handled in chunks of at most this many bytes.
const CHUNK: usize = 64 * 1024;

/// One message of an mbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MboxMessage {
    /// Message bytes: From_ line removed, `>From ` unescaped, the separating blank line dropped.
    pub raw: Vec<u8>,
    /// Date of the From_ line: the RFC 5256 fallback sent date.
    pub from_line_date: Option<DateTime<Utc>>,
    /// Byte offset of the From_ line (or of the message when it has none) in the file.
    pub offset: u64,
    /// Full size of the message, including bytes beyond the cap.
    pub size: u64,
    /// `raw` holds only the first `max_message_bytes` bytes.
    pub truncated: bool,
}

/// Iterator over the messages of an mbox stream.
pub struct MboxReader<R> {
    reader: R,
    max_message_bytes: usize,
    chunk: Vec<u8>,
    pos: u64,
    at_line_start: bool,
    seen_any_line: bool,
    current: Option<Building>,
    finished: bool,
}

struct Building {
    msg: MboxMessage,
    /// Length of the last complete line when it was blank ("\n" or "\r\n"), else 0.
    last_blank: usize,
}

/// Open an mbox file.
pub fn open(path: &Path) -> io::Result<MboxReader<BufReader<File>>> {
    Ok(MboxReader::new(BufReader::with_capacity(
        256 * 1024,
        File::open(path)?,
    )))
}

impl<R: BufRead> MboxReader<R> {
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            chunk: Vec::with_capacity(CHUNK),
            pos: 0,
            at_line_start: true,
            seen_any_line: false,
            current: None,
            finished: false,
        }
    }

    /// Cap each message's kept bytes (the size is still counted).
    pub fn with_max_message_bytes(mut self, max: usize) -> Self {
        self.max_message_bytes = max;
        self
    }

    /// Next chunk of at most [`CHUNK`] bytes, ending at a newline when one comes first.
    /// Returns `None` at end of input, else whether the chunk ends its line.
    fn next_chunk(&mut self) -> io::Result<Option<bool>> {
        self.chunk.clear();
        loop {
            let avail = match self.reader.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                return Ok((!self.chunk.is_empty()).then_some(false));
            }
            let room = CHUNK - self.chunk.len();
            let window = &avail[..avail.len().min(room)];
            if let Some(nl) = window.iter().position(|&b| b == b'\n') {
                self.chunk.extend_from_slice(&window[..=nl]);
                self.reader.consume(nl + 1);
                return Ok(Some(true));
            }
            let take = window.len();
            self.chunk.extend_from_slice(window);
            self.reader.consume(take);
            if self.chunk.len() == CHUNK {
                return Ok(Some(false));
            }
        }
    }

    /// Discard the rest of the current line.
    fn skip_line(&mut self) -> io::Result<()> {
        while let Some(ends) = self.next_chunk()? {
            self.pos += self.chunk.len() as u64;
            if ends {
                break;
            }
        }
        self.at_line_start = true;
        Ok(())
    }

    fn is_separator(&self, starts_line: bool) -> bool {
        if !starts_line || !self.chunk.starts_with(b"From ") {
            return false;
        }
        let after_blank = self
            .current
            .as_ref()
            .is_none_or(|b| b.last_blank > 0 || (b.msg.raw.is_empty() && b.msg.size == 0));
        !self.seen_any_line || after_blank || parse_from_line_date(&self.chunk).is_some()
    }

    fn start(&mut self, offset: u64, date: Option<DateTime<Utc>>) -> Option<MboxMessage> {
        let done = self.current.take().map(finish);
        let msg = MboxMessage {
            raw: Vec::new(),
            from_line_date: date,
            offset,
            size: 0,
            truncated: false,
        };
        self.current = Some(Building { msg, last_blank: 0 });
        done
    }

    fn append(&mut self, starts_line: bool, ends_line: bool) {
        let offset = self.pos - self.chunk.len() as u64;
        if self.current.is_none() {
            if self.chunk.iter().all(u8::is_ascii_whitespace) {
                return;
            }
            self.start(offset, None);
        }
        let Some(b) = self.current.as_mut() else {
            return;
        };
        let mut bytes: &[u8] = &self.chunk;
        if starts_line && unescapes(bytes) {
            bytes = &bytes[1..];
        }
        b.msg.size += bytes.len() as u64;
        let room = self.max_message_bytes.saturating_sub(b.msg.raw.len());
        if bytes.len() > room {
            b.msg.truncated = true;
        }
        b.msg.raw.extend_from_slice(&bytes[..bytes.len().min(room)]);
        b.last_blank = if starts_line && ends_line && (bytes == b"\n" || bytes == b"\r\n") {
            bytes.len()
        } else {
            0
        };
    }
}

/// `>From `, `>>From `...: quoted From lines that lose one `>`.
fn unescapes(line: &[u8]) -> bool {
    let quotes = line.iter().take_while(|&&b| b == b'>').count();
    quotes > 0 && line[quotes..].starts_with(b"From ")
}

fn finish(b: Building) -> MboxMessage {
    let mut msg = b.msg;
    msg.size -= b.last_blank as u64;
    // `raw` is a prefix of the message: drop whatever part of the separating blank line it holds.
    let keep = usize::try_from(msg.size)
        .unwrap_or(usize::MAX)
        .min(msg.raw.len());
    msg.raw.truncate(keep);
    msg.truncated = msg.size > msg.raw.len() as u64;
    msg
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = io::Result<MboxMessage>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        loop {
            let ends_line = match self.next_chunk() {
                Ok(Some(ends)) => ends,
                Ok(None) => {
                    self.finished = true;
                    return self.current.take().map(finish).map(Ok);
                }
                Err(e) => {
                    self.finished = true;
                    return Some(Err(e));
                }
            };
            let starts_line = self.at_line_start;
            self.at_line_start = ends_line;
            self.pos += self.chunk.len() as u64;
            if self.is_separator(starts_line) {
                let offset = self.pos - self.chunk.len() as u64;
                let date = parse_from_line_date(&self.chunk);
                if !ends_line && let Err(e) = self.skip_line() {
                    self.finished = true;
                    return Some(Err(e));
                }
                self.seen_any_line = true;
                if let Some(done) = self.start(offset, date) {
                    return Some(Ok(done));
                }
                continue;
            }
            self.seen_any_line = true;
            self.append(starts_line, ends_line);
        }
    }
}
