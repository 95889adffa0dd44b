//! Reading a teacher's files: a folder of handed-in reports and a roster file. Shared by
//! the command line and the app, so both accept and refuse the same files.

use std::path::Path;

use crate::roster::{RosterFormat, RosterImport, read_roster};

/// The largest handed-in report or roster read (a signed report is a few kilobytes).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Reads a regular file of at most [`MAX_FILE_BYTES`]; a symbolic link, a folder or a
/// larger file is refused with why, without reading it.
fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::symlink_metadata(path).map_err(|err| format!("cannot be read: {err}"))?;
    if meta.file_type().is_symlink() {
        return Err("is a symbolic link; copy the file itself into the folder".to_owned());
    }
    if !meta.is_file() {
        return Err("is not a file".to_owned());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!("is {} KB, over the {} KB a report or roster may have", meta.len() / 1024, MAX_FILE_BYTES / 1024));
    }
    std::fs::read(path).map_err(|err| format!("cannot be read: {err}"))
}

/// Every `*.json` file of `dir` as (file name, bytes), sorted by name, and the files that
/// could not be read (named, with why: unreadable, a symbolic link, too large). Fails only
/// when the folder itself cannot be read.
pub fn read_submissions(dir: &Path) -> std::io::Result<(Vec<(String, Vec<u8>)>, Vec<String>)> {
    let mut submissions = Vec::new();
    let mut unreadable = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("json")) {
            continue;
        }
        let name = file_name(&path);
        match read_bounded(&path) {
            Ok(bytes) => submissions.push((name, bytes)),
            Err(why) => unreadable.push(format!("{name}: {why}")),
        }
    }
    submissions.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((submissions, unreadable))
}

/// Why a roster file was refused as a whole.
#[derive(Debug, thiserror::Error)]
pub enum RosterFileError {
    /// Neither `.csv` nor `.xlsx`.
    #[error("{0}: a roster must be a .csv or .xlsx file")]
    Kind(String),
    /// The file could not be read.
    #[error("reading the roster {0}: {1}")]
    Io(String, std::io::Error),
    /// The file reads but is not a roster.
    #[error("reading the roster {0}: {1}")]
    Roster(String, crate::roster::RosterError),
}

/// Reads a roster file (CSV in UTF-8 or GB18030, or XLSX); rows with errors are reported in
/// the import, the others kept.
pub fn read_roster_file(path: &Path) -> Result<RosterImport, RosterFileError> {
    let shown = path.display().to_string();
    let format = RosterFormat::from_file_name(&file_name(path)).ok_or_else(|| RosterFileError::Kind(shown.clone()))?;
    let bytes = read_bounded(path).map_err(|why| RosterFileError::Io(shown.clone(), std::io::Error::other(why)))?;
    read_roster(&bytes, format).map_err(|err| RosterFileError::Roster(shown, err))
}

/// A path's file name, or the whole path when it has none.
pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn links_and_oversized_reports_are_named_and_skipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), b"{}").unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.json"), b"{}").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.json"), dir.path().join("b.json")).unwrap();
        let big = std::fs::File::create(dir.path().join("c.json")).unwrap();
        big.set_len(MAX_FILE_BYTES + 1).unwrap();
        let (read, refused) = read_submissions(dir.path()).unwrap();
        assert_eq!(read.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["a.json"]);
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert!(refused.iter().any(|r| r.starts_with("b.json") && r.contains("symbolic link")), "{refused:?}");
        assert!(refused.iter().any(|r| r.starts_with("c.json") && r.contains("KB")), "{refused:?}");
    }
}
