//! A deterministic mbox of tricky threads: forward references, missing parents, truncated
//! References, In-Reply-To only, duplicate and missing Message-IDs, self references and loops,
//! subject-only replies, list tags, equal dates and mixed time zones. Every message has a Date
//! header and English prefixes only, so RFC 5256 servers agree on sent dates and base subjects.

/// xorshift64*: reproducible without a crate.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOPICS: &[&str] = &[
    "Rapport trimestriel",
    "Onboarding fonds Alpha",
    "Convention de distribution",
    "Question sur les frais",
    "Point hebdo",
    "Due diligence ESG",
];

const REPLY_PREFIXES: &[&str] = &[
    "Re: ",
    "RE: ",
    "Re[2]: ",
    "[crm] Re: ",
    "Re: Re: ",
    "Fwd: ",
    "re : ",
];

#[derive(Clone)]
struct Msg {
    id: Option<String>,
    refs: Vec<String>,
    in_reply_to: Option<String>,
    subject: String,
    date: String,
}

/// An mbox of `n` messages for `seed`.
pub fn generate(seed: u64, n: usize) -> Vec<u8> {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let own_id = |i: usize| format!("m{i}.{seed}@corpus.example");
    let mut parent: Vec<Option<String>> = vec![None; n];
    let mut kind = vec![0usize; n];
    for i in 0..n {
        kind[i] = rng.below(12);
        parent[i] = match kind[i] {
            1..=3 | 6 | 7 | 10 => {
                let mut j = rng.below(n);
                if j == i {
                    j = (j + 1) % n;
                }
                Some(own_id(j))
            }
            4 => Some(format!("missing{}.{seed}@corpus.example", rng.below(3))),
            8 => Some(own_id(i)),
            _ => None,
        };
    }
    let index_of = |id: &str| (0..n).find(|&j| own_id(j) == id);
    let mut msgs = Vec::with_capacity(n);
    for i in 0..n {
        // References: walk the chosen parents up to 6 levels, stopping at a repeat (loops stay loops).
        let mut chain = Vec::new();
        let mut cur = parent[i].clone();
        while let Some(p) = cur {
            if chain.contains(&p) || chain.len() >= 6 {
                break;
            }
            chain.push(p.clone());
            cur = index_of(&p).and_then(|j| parent[j].clone());
        }
        chain.reverse();
        let (refs, in_reply_to) = match kind[i] {
            2 => (chain.last().cloned().into_iter().collect(), None),
            3 => (Vec::new(), chain.last().cloned()),
            10 => (
                chain.clone(),
                Some(format!("other{i}.{seed}@corpus.example")),
            ),
            _ => (chain.clone(), None),
        };
        let topic = TOPICS[rng.below(TOPICS.len())];
        let subject = match kind[i] {
            0 | 5 | 9 if rng.below(3) == 0 => format!("[crm] {topic}"),
            9 => format!("{topic} (fwd)"),
            _ if parent[i].is_some() || kind[i] == 11 => {
                format!("{}{topic}", REPLY_PREFIXES[rng.below(REPLY_PREFIXES.len())])
            }
            _ => topic.to_string(),
        };
        let id = match kind[i] {
            5 if i > 0 => Some(own_id(rng.below(i))),
            7 => None,
            _ => Some(own_id(i)),
        };
        // Mostly increasing, sometimes earlier than the previous message, some exact ties.
        let minutes = (i as i64) * 37 - (rng.below(4) as i64) * 50;
        let minutes = if rng.below(8) == 0 { 600 } else { minutes };
        let zone = [("+0100", 60), ("-0500", -300), ("+0000", 0)][rng.below(3)];
        let t = chrono::DateTime::from_timestamp(1_740_992_400 + minutes * 60 + zone.1 * 60, 0)
            .unwrap();
        let date = format!("{} {}", t.format("%a, %d %b %Y %H:%M:%S"), zone.0);
        msgs.push(Msg {
            id,
            refs,
            in_reply_to,
            subject,
            date,
        });
    }
    let mut out = String::new();
    for (i, m) in msgs.iter().enumerate() {
        out.push_str(&format!(
            "From sender{i}@corpus.example Mon Mar  3 09:00:00 2025\n"
        ));
        out.push_str(&format!(
            "From: Sender {i} <sender{i}@corpus.example>\nTo: crm@corpus.example\n"
        ));
        if let Some(id) = &m.id {
            out.push_str(&format!("Message-ID: <{id}>\n"));
        }
        if !m.refs.is_empty() {
            let refs: Vec<String> = m.refs.iter().map(|r| format!("<{r}>")).collect();
            out.push_str(&format!("References: {}\n", refs.join("\n ")));
        }
        if let Some(irt) = &m.in_reply_to {
            out.push_str(&format!("In-Reply-To: <{irt}>\n"));
        }
        out.push_str(&format!(
            "Subject: {}\nDate: {}\n\nBody {i}.\nFrom the desk of sender {i}.\n\n",
            m.subject, m.date
        ));
    }
    out.into_bytes()
}
