//! The `api` binary: reads the configuration, sets up logs and metrics, serves until SIGTERM/SIGINT.

use std::process::ExitCode;

use crm_api::Settings;
use shared::config::EnvSource;

fn main() -> ExitCode {
    shared::db::init_tls();
    let settings = match Settings::from_env(&EnvSource::process()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    shared::telemetry::init_tracing(settings.api.common.log_json);
    let _ = crm_api::telemetry::metrics_handle();
    match actix_web::rt::System::new().block_on(crm_api::run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "API failed");
            eprintln!("api: {e}");
            ExitCode::FAILURE
        }
    }
}
