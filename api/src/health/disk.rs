//! Free space of the folders the platform writes to: `BACKUP_DIR` and the mail import folder. Under 10 %
//! free the platform is `degraded`, under 2 % `unhealthy` (a backup or an import would fail half-way).

use std::path::{Path, PathBuf};

use serde::Serialize;

/// Free space under which the platform is `degraded`, in percent.
pub const DEGRADED_BELOW_PERCENT: f64 = 10.0;
/// Free space under which the platform is `unhealthy`, in percent.
pub const UNHEALTHY_BELOW_PERCENT: f64 = 2.0;

/// One folder's file system. Names the setting, never the path.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiskHealth {
    /// `backup_dir` or `mail_import_dir`.
    pub name: &'static str,
    /// `None` when the folder cannot be read here (not created yet, or on another host than the API).
    pub free_bytes: Option<u64>,
    pub total_bytes: Option<u64>,
    pub free_percent: Option<f64>,
    /// Why the figures are missing.
    pub error: Option<String>,
}

impl DiskHealth {
    /// Measures the file system holding `path` (space available to unprivileged users, as a backup sees
    /// it).
    pub fn measure(name: &'static str, path: &Path) -> Self {
        match rustix::fs::statvfs(path) {
            Ok(st) => {
                let block = st.f_frsize.max(1);
                let free = st.f_bavail.saturating_mul(block);
                let total = st.f_blocks.saturating_mul(block);
                Self::of(name, free, total)
            }
            Err(e) => Self {
                name,
                free_bytes: None,
                total_bytes: None,
                free_percent: None,
                error: Some(format!("cannot read the folder's file system ({e})")),
            },
        }
    }

    fn of(name: &'static str, free: u64, total: u64) -> Self {
        let percent = if total == 0 {
            100.0
        } else {
            free as f64 * 100.0 / total as f64
        };
        Self {
            name,
            free_bytes: Some(free),
            total_bytes: Some(total),
            free_percent: Some((percent * 100.0).round() / 100.0),
            error: None,
        }
    }
}

/// Measures every configured folder, off the async threads.
pub(super) async fn check(folders: Vec<(&'static str, PathBuf)>) -> Vec<DiskHealth> {
    tokio::task::spawn_blocking(move || {
        folders
            .iter()
            .map(|(name, path)| DiskHealth::measure(name, path))
            .collect()
    })
    .await
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_real_folder_and_reports_a_missing_one() {
        let here = DiskHealth::measure("backup_dir", Path::new("."));
        assert!(here.error.is_none(), "{here:?}");
        assert!(here.total_bytes.unwrap_or(0) > 0);
        let p = here.free_percent.unwrap_or(-1.0);
        assert!((0.0..=100.0).contains(&p), "{p}");
        let gone = DiskHealth::measure("mail_import_dir", Path::new("/nonexistent/crm-health"));
        assert!(gone.free_percent.is_none() && gone.error.is_some());
        let full = DiskHealth::of("backup_dir", 1, 100);
        assert_eq!(full.free_percent, Some(1.0));
    }
}
