//! `workers`: runs the job workers and the scheduler, plus admin commands (see `workers --help`).

use clap::Parser;

#[tokio::main]
async fn main() {
    shared::db::init_tls();
    let cli = crm_workers::cli::Cli::parse();
    std::process::exit(crm_workers::cli::main(cli).await);
}
