//! Training and cross-validation of the analyser's models (`ops/train`, binary `train-intent`).
//! Everything is deterministic: fixed seeds, inputs pinned by checksum, no threads.

pub mod cv;
pub mod intent;
pub mod requests;
pub mod signature;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The crate's directory (training data and models live beside the sources).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Read a training input and check it against its pinned checksum.
pub fn read_pinned(path: &Path, sha256: &str) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let got = sha256_hex(&bytes);
    if got != sha256 {
        bail!(
            "{} has sha256 {got}, the trainer is pinned to {sha256}: the training data changed",
            path.display()
        );
    }
    Ok(bytes)
}

/// What to do with a trained model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write `models/NAME.bin` and `models/NAME.bin.sha256`.
    Write,
    /// Compare with the committed checksum; error when it differs.
    Check,
}

/// Write or check a model's bytes under `models/`.
pub fn emit(name: &str, bytes: &[u8], mode: Mode) -> Result<()> {
    let dir = crate_dir().join("models");
    let sum = format!("{}  {name}\n", sha256_hex(bytes));
    let sum_path = dir.join(format!("{name}.sha256"));
    match mode {
        Mode::Write => {
            std::fs::write(dir.join(name), bytes)?;
            std::fs::write(&sum_path, &sum)?;
            eprintln!("wrote models/{name} ({} bytes) {}", bytes.len(), sum.trim());
        }
        Mode::Check => {
            let committed = std::fs::read_to_string(&sum_path)
                .with_context(|| format!("reading {}", sum_path.display()))?;
            if committed != sum {
                bail!(
                    "models/{name}: retrained checksum {} differs from the committed {}",
                    sum.trim(),
                    committed.trim()
                );
            }
            let embedded = std::fs::read(dir.join(name))?;
            if embedded != bytes {
                bail!("models/{name} differs from what training produces");
            }
            eprintln!("models/{name}: reproduced ({})", sum.trim());
        }
    }
    Ok(())
}
