//! `cargo run -p crm-intel --example eval -- /work/shared/eval [--report FILE]` (set
//! INTEL_EVAL_VERBOSE=1 to list every signature-field error).

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let report = args
        .iter()
        .position(|a| a == "--report")
        .and_then(|i| args.get(i + 1));
    let dir = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--report"))
        .map_or("../shared/eval", |(_, a)| a.as_str());
    let rep = intel::eval::run(std::path::Path::new(dir), std::io::stdout().lock())?;
    if let Some(path) = report {
        let mut f = std::fs::File::create(path)?;
        intel::eval::report::write(&rep, &mut f)?;
        eprintln!("report written to {path}");
    }
    Ok(())
}
