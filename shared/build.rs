//! Rebuilds the crate when a migration is added, renamed or edited: `embed_migrations!` reads
//! `migrations/` at compile time, and Cargo does not track that folder on its own.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
