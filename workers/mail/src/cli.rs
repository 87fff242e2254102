//! `workers thread FILE.mbox`: the RFC 5256 `THREAD REFERENCES` answer for an mbox, with message
//! sequence numbers in file order starting at 1, so that threading can be checked against an IMAP
//! server's. Needs no database or Redis.

use std::io::Write;
use std::path::Path;

use crate::mbox;
use crate::parse::parse_message;
use crate::thread::{ThreadInput, format_imap, thread};

/// Thread inputs for the messages of an mbox, numbered from 1 in file order.
pub fn mbox_thread_inputs(path: &Path) -> std::io::Result<Vec<ThreadInput>> {
    let mut inputs = Vec::new();
    for (i, msg) in mbox::open(path)?.enumerate() {
        let msg = msg?;
        // Threading reads headers only: a zero cap parses them and skips every body.
        let parsed = parse_message(&msg.raw, 0);
        let seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
        inputs.push(parsed.thread_input(seq, msg.from_line_date));
    }
    Ok(inputs)
}

/// Print the thread list (e.g. `(1 (2 4)(3))`) and a newline; returns the exit code (0, or 1 when
/// the file cannot be read, with the reason on stderr).
pub fn thread_command(path: &Path, mut out: impl Write) -> i32 {
    let inputs = match mbox_thread_inputs(path) {
        Ok(inputs) => inputs,
        Err(e) => {
            eprintln!("workers thread: cannot read the mbox: {e}");
            return 1;
        }
    };
    match writeln!(out, "{}", format_imap(&thread(&inputs))) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("workers thread: cannot write the result: {e}");
            1
        }
    }
}
