//! Reading a teacher's files: a folder of handed-in reports and a roster file. Shared by
//! the command line and the app, so both accept and refuse the same files.

use std::path::Path;

use crate::roster::{RosterFormat, RosterImport, read_roster};

/// Every `*.json` file of `dir` as (file name, bytes), sorted by name, and the files that
/// could not be read (named, with why). Fails only when the folder itself cannot be read.
pub fn read_submissions(dir: &Path) -> std::io::Result<(Vec<(String, Vec<u8>)>, Vec<String>)> {
    let mut submissions = Vec::new();
    let mut unreadable = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("json")) {
            continue;
        }
        let name = file_name(&path);
        match std::fs::read(&path) {
            Ok(bytes) => submissions.push((name, bytes)),
            Err(err) => unreadable.push(format!("{name}: cannot be read: {err}")),
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
    let bytes = std::fs::read(path).map_err(|err| RosterFileError::Io(shown.clone(), err))?;
    read_roster(&bytes, format).map_err(|err| RosterFileError::Roster(shown, err))
}

/// A path's file name, or the whole path when it has none.
pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}
