//! `cargo fuzz run parse_message`: parse arbitrary bytes with and without the size cap, and thread
//! the result.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let full = mail::parse_message(data, usize::MAX);
    let headers = mail::parse_message(data, data.len() / 2);
    assert_eq!(full.message_id, headers.message_id);
    let inputs = [full.thread_input(1, None), headers.thread_input(2, None)];
    let _ = mail::format_imap(&mail::thread(&inputs));
});
