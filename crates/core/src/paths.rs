//! Where the data lives: `--data-dir`, else `ANCHORDESK_DATA_DIR`, else the OS app-data dir.

use crate::store::DB_FILE_NAME;
use std::path::{Path, PathBuf};

/// Writes a file so that a crash or a power cut at any moment leaves either the old file
/// or the whole new one, never half of it: the bytes go to a temporary file in the same
/// folder, are flushed to disk, renamed over the target, and the folder is flushed too.
///
/// # Errors
/// The I/O error; the temporary file is removed and the target is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        // The rename itself is durable only once the folder is flushed.
        std::fs::File::open(&dir).and_then(|d| d.sync_all())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

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

/// The `--data-dir DIR` (or `--data-dir=DIR`) among a program's arguments (the first is the
/// program itself), for programs that take no other flags of their own.
pub fn data_dir_flag(args: impl Iterator<Item = String>) -> Option<PathBuf> {
    let mut args = args.skip(1);
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            return args.next().map(Into::into);
        }
        if let Some(dir) = arg.strip_prefix("--data-dir=") {
            return Some(dir.into());
        }
    }
    None
}

/// The database file inside a data directory.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE_NAME)
}

#[cfg(test)]
mod atomic_tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_whole_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        std::fs::write(&path, "old").unwrap();
        write_atomic(&path, "新的报告".as_bytes()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "新的报告");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.md");
        std::fs::write(&path, "old plan").unwrap();
        // The target is a directory now: the rename fails after the temporary file was written.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir(&blocked).unwrap();
        std::fs::write(blocked.join("inside"), "x").unwrap();
        assert!(write_atomic(&blocked, b"new").is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old plan");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".tmp")).count();
        assert_eq!(leftovers, 0);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_data_dir_flag_is_read_in_both_spellings() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>().into_iter();
        assert_eq!(super::data_dir_flag(args(&["app", "--data-dir", "/x"])), Some("/x".into()));
        assert_eq!(super::data_dir_flag(args(&["app", "--data-dir=/y"])), Some("/y".into()));
        assert_eq!(super::data_dir_flag(args(&["app"])), None);
    }
}
