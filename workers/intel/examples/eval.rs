//! `cargo run -p crm-intel --example eval -- DIR [--report FILE] [--dump-quagga-tops FILE]
//! [--peer-blocks NAME=FILE]` (set INTEL_EVAL_VERBOSE=1 to list every signature-field error).
//! `--dump-quagga-tops` writes the Quagga `eval/` top messages for a peer extractor and stops;
//! `--peer-blocks` scores that peer's blocks with the same block-line scorer as ours.

use std::path::Path;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let dir = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || !args[i - 1].starts_with("--")))
        .map_or("../shared/eval".to_string(), |(_, a)| a.clone());
    let quagga = Path::new(&dir).join("signatures-en-quagga").join("eval");
    if let Some(path) = opt("--dump-quagga-tops") {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let n = intel::eval::block::dump_tops(&quagga, &mut f)?;
        eprintln!("{n} top messages written to {path}");
        return Ok(());
    }
    let rep = intel::eval::run(Path::new(&dir), std::io::stdout().lock())?;
    if let Some(spec) = opt("--peer-blocks") {
        let (name, file) = spec.split_once('=').unwrap_or(("peer", spec.as_str()));
        let docs = intel::eval::quagga::load_dir(&quagga)?;
        let (strict, named) =
            intel::eval::block::evaluate_peer(&docs, &std::fs::read_to_string(file)?)?;
        if let Some((ours, ours_named, n)) = &rep.block_lines {
            println!("\nSignature-block lines, Quagga eval/ ({n} emails), one scorer for both");
            println!(
                "{:<12} {:>16} {:>28}",
                "extractor", "F1 block", "F1 block + sign-off name"
            );
            println!(
                "{:<12} {:>16.3} {:>28.3}",
                "crm-intel",
                ours.f1(),
                ours_named.f1()
            );
            println!("{:<12} {:>16.3} {:>28.3}", name, strict.f1(), named.f1());
        }
    }
    if let Some(path) = opt("--report") {
        let mut f = std::fs::File::create(&path)?;
        intel::eval::report::write(&rep, &mut f)?;
        eprintln!("report written to {path}");
    }
    Ok(())
}
