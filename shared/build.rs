//! Rebuilds the crate when a migration is added, renamed or edited: `embed_migrations!` reads
//! `migrations/` at compile time, and Cargo does not track that folder on its own.
//!
//! Also publishes `CRM_MIGRATIONS_HASH` (FNV-1a over the migration files' relative paths and contents),
//! computed in the same build as the embedded migrations: the test databases' template is named after it,
//! so a template is never built from migrations other than the ones its name stands for.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
    let root = Path::new("../migrations");
    let mut all = Vec::new();
    files(root, &mut all);
    all.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for path in &all {
        let rel = path.strip_prefix(root).unwrap_or(path);
        feed(rel.to_string_lossy().as_bytes());
        feed(&[0]);
        feed(&std::fs::read(path).unwrap_or_default());
        feed(&[0]);
    }
    println!("cargo:rustc-env=CRM_MIGRATIONS_HASH={hash:016x}");
}
