//! The process-wide Prometheus recorder: installed once, shared by every `AppState` of the process.

use std::sync::OnceLock;

use metrics_exporter_prometheus::PrometheusHandle;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder on first call and returns its handle; `None` when another recorder was installed
/// first (then `/metrics` answers 503).
pub fn metrics_handle() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| match shared::telemetry::install_metrics() {
            Ok(handle) => Some(handle),
            Err(e) => {
                tracing::warn!(error = %e, "metrics recorder not installed");
                None
            }
        })
        .clone()
}
