//! `workers`: runs the job workers and the scheduler, plus admin commands (see `workers --help`).

use clap::Parser;

/// mimalloc: under load glibc malloc (fragmentation, consolidation of freed chunks) took about a third of
/// the `workers` process's CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    shared::db::init_tls();
    let cli = crm_workers::cli::Cli::parse();
    std::process::exit(crm_workers::cli::main(cli).await);
}
