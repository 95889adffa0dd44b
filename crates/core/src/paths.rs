//! Where the data lives: `--data-dir`, else `ANCHORDESK_DATA_DIR`, else the OS app-data dir.

use crate::store::DB_FILE_NAME;
use std::path::{Path, PathBuf};

/// The environment variable that overrides the data directory.
pub const DATA_DIR_ENV: &str = "ANCHORDESK_DATA_DIR";

/// Resolves the data directory. `flag` (from `--data-dir`) wins over the environment,
/// which wins over the OS default (e.g. `~/.local/share/anchordesk` on Linux).
pub fn data_dir(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = flag {
        return Some(dir.to_path_buf());
    }
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("net", "AnchorDesk", "anchordesk").map(|dirs| dirs.data_dir().to_path_buf())
}

/// The database file inside a data directory.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE_NAME)
}
