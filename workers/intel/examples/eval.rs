//! `cargo run -p crm-intel --example eval -- /work/shared/eval` (set INTEL_EVAL_VERBOSE=1 to list
//! every signature-field error).

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/eval".to_string());
    intel::eval::run(std::path::Path::new(&dir), std::io::stdout().lock())?;
    Ok(())
}
