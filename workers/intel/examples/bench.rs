//! Speed of the built-in path on one thread: `cargo run --release -p crm-intel --example bench --
//! /work/shared/eval [seconds]`. Analyses the eval corpus (intent .eml files and Quagga emails)
//! over and over for the given time (default 5 s) and prints emails analysed per second per core,
//! plus per-email latency percentiles and the time of a 1 MB message.

use std::time::{Duration, Instant};

/// CPU time of this thread (user + system) from /proc, in seconds; None off Linux. The machine
/// is shared, so wall time under load undercounts what one core does.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // after the command: state is field 3, utime field 14, stime field 15 (1-based in proc(5))
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn main() -> anyhow::Result<()> {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "../shared/eval".into()),
    );
    let secs: f64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    for sub in ["intent", "signatures-en-quagga/eval"] {
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        let mut paths: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if ext == "eml" || ext == "txt" {
                corpus.push(std::fs::read(&p)?);
            }
        }
    }
    anyhow::ensure!(!corpus.is_empty(), "no emails under {}", dir.display());
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    // warm-up: compiles the regexes and loads the phone metadata once
    let t0 = Instant::now();
    for m in &corpus {
        std::hint::black_box(intel::analyze_message(m));
    }
    let warm = t0.elapsed();
    let mut lat: Vec<Duration> = Vec::new();
    let start = Instant::now();
    let cpu0 = thread_cpu_seconds();
    let mut n = 0usize;
    while start.elapsed().as_secs_f64() < secs {
        for m in &corpus {
            let t = Instant::now();
            std::hint::black_box(intel::analyze_message(m));
            lat.push(t.elapsed());
            n += 1;
        }
    }
    let total = start.elapsed().as_secs_f64();
    let cpu = thread_cpu_seconds().zip(cpu0).map(|(a, b)| a - b);
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    let mut big =
        String::from("From: A <a@b.fr>\nSubject: x\nContent-Type: text/plain; charset=utf-8\n\n");
    while big.len() < 1_000_000 {
        big.push_str("Pourriez-vous m'envoyer le reporting ? Tél. 01 42 00 00 00, 12 rue de la Paix 75002 Paris.\n");
    }
    big.push_str("\nCordialement,\nJean Dupont\n");
    let t = Instant::now();
    std::hint::black_box(intel::analyze_message(big.as_bytes()));
    let big_t = t.elapsed();
    println!(
        "corpus: {} emails ({} KB), first pass (cold) {:.1} ms",
        corpus.len(),
        bytes / 1024,
        warm.as_secs_f64() * 1000.0
    );
    println!("analysed {n} emails in {total:.2} s on one thread");
    println!("wall clock: {:.0} emails/s", n as f64 / total);
    match cpu {
        Some(c) if c > 0.0 => println!(
            "emails/s/core: {:.0} (per CPU-second of the benchmark thread: {c:.2} s CPU)",
            n as f64 / c
        ),
        _ => println!("emails/s/core: {:.0} (wall clock)", n as f64 / total),
    }
    println!(
        "latency per email: p50 {:?}, p95 {:?}, p99 {:?}, max {:?}",
        pct(0.5),
        pct(0.95),
        pct(0.99),
        lat[lat.len() - 1]
    );
    println!("1 MB message: {:.1} ms", big_t.as_secs_f64() * 1000.0);
    Ok(())
}
