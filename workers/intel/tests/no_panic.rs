//! Property-style robustness: arbitrary bytes, mutated messages and huge inputs never panic, and a
//! 1 MB message is analysed quickly.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

/// Small deterministic generator (xorshift64*), so failures are reproducible without a crate.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn fixtures() -> Vec<Vec<u8>> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

const ALPHABET: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b" ",
    b"--",
    b"> ",
    b":",
    b"@",
    b"+33 ",
    b"06 ",
    b"\xc3\xa9",
    b"\xe2\x80\x93",
    b"\xff",
    b"\0",
    b"Cordialement,",
    b"Le 3 nov. a \xc3\xa9crit :",
    b"De : x\nEnvoy\xc3\xa9 : y\nObjet : z",
    b"Content-Type: multipart/mixed; boundary=\"b\"\n",
    b"--b\n",
    b"=?utf-8?q?=C3=A9?=",
    b"<html><p>",
    b"</p>",
    b"&eacute;",
    b"12 rue ",
    b"75008 Paris",
    b"www.",
    b".fr",
    b"?",
    b"01 42 00 00 00",
    b"Mob.",
    b"Fax :",
    b"|",
    b"\xe2\x80\x94",
    b"\xf0\x9f\x93\x9e",
    b"Subject: ",
    b"From: ",
    b"\t",
];

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..400 {
        let len = rng.below(3000);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = intel::analyze_message(&bytes);
        let _ = intel::analyze_text(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn token_soup_never_panics() {
    let mut rng = Rng(42);
    for _ in 0..400 {
        let mut v = Vec::new();
        for _ in 0..rng.below(200) {
            v.extend_from_slice(ALPHABET[rng.below(ALPHABET.len())]);
        }
        let _ = intel::analyze_message(&v);
        let _ = intel::analyze_text(&String::from_utf8_lossy(&v));
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let mut rng = Rng(7);
    for f in fixtures() {
        for _ in 0..60 {
            let mut v = f.clone();
            for _ in 0..1 + rng.below(20) {
                match rng.below(3) {
                    0 if !v.is_empty() => {
                        let i = rng.below(v.len());
                        v[i] = rng.next() as u8;
                    }
                    1 if !v.is_empty() => {
                        let i = rng.below(v.len());
                        v.truncate(i);
                    }
                    _ => {
                        let i = rng.below(v.len() + 1);
                        let t = ALPHABET[rng.below(ALPHABET.len())];
                        v.splice(i..i, t.iter().copied());
                    }
                }
            }
            let _ = intel::analyze_message(&v);
        }
    }
}

#[test]
fn one_megabyte_message_is_fast() {
    let mut body = String::from(
        "From: A B <a@b.fr>\nSubject: test\nContent-Type: text/plain; charset=utf-8\n\nBonjour,\n\n",
    );
    let para = "Pourriez-vous m'envoyer le reporting ? Tél. 01 42 00 00 00, www.exemple.fr, 12 rue de la Paix 75002 Paris. ";
    while body.len() < 1_000_000 {
        body.push_str(para);
        body.push('\n');
    }
    body.push_str("\nCordialement,\nJean Dupont\nDirecteur\n");
    let raw = body.into_bytes();
    let _ = intel::analyze_message(&raw); // warm-up (regexes, phone metadata)
    let t = std::time::Instant::now();
    let a = intel::analyze_message(&raw);
    let ms = t.elapsed().as_millis();
    assert_eq!(a.signature.name.as_deref(), Some("Jean Dupont"));
    // the 50 ms budget holds for optimised builds; debug builds are only checked for sanity
    let budget = if cfg!(debug_assertions) { 3000 } else { 50 };
    assert!(ms < budget, "1 MB message took {ms} ms");
    // a single 1 MB line without any line break
    let line = "x".repeat(1_000_000);
    let _ = intel::analyze_text(&line);
}
