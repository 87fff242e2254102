//! `cargo fuzz run mbox`: split arbitrary bytes as an mbox and parse every message.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let reader = mail::mbox::MboxReader::new(std::io::Cursor::new(data)).with_max_message_bytes(4096);
    for msg in reader.flatten() {
        let _ = mail::parse_message(&msg.raw, 1024);
    }
});
