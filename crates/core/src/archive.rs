//! The archive: each ended session's files (recording, marker sidecar, report) in one
//! folder with a manifest of SHA-256 digests and the date until which it must be kept.
//! Platforms keep replays for three years and the live room keeps its own evidence as
//! long (CN-LSE-16, CN-LSE-27), so three years is the default retention.

use crate::live::{BroadcastReport, report_html};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Default retention in years.
pub const DEFAULT_RETENTION_YEARS: i32 = 3;

/// The manifest's file name inside an archive folder.
pub const MANIFEST: &str = "manifest.json";

/// One file in an archive folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ArchivedFile {
    pub name: String,
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub bytes: u64,
    pub sha256: String,
}

/// What an archive folder holds, written as `manifest.json` inside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ArchiveEntry {
    /// The folder's name, e.g. `broadcast-3-session-5`.
    pub name: String,
    pub broadcast_title: String,
    pub started_at: String,
    /// Keep until this date (`YYYY-MM-DD`).
    pub keep_until: String,
    pub files: Vec<ArchivedFile>,
}

/// The same day `years` later; 29 February becomes 28 February in a common year.
pub fn keep_until(today: time::Date, years: i32) -> time::Date {
    let year = today.year() + years;
    today
        .replace_year(year)
        .or_else(|_| time::Date::from_calendar_date(year, today.month(), 28))
        .unwrap_or(today)
}

/// Why archiving failed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the session has no recording to archive")]
    NoRecording,
    #[error("{path}: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("{name} changed since it was archived (SHA-256 {found}, expected {expected})")]
    Tampered { name: String, found: String, expected: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io { path: path.to_path_buf(), source }
}

/// SHA-256 of a file, as lowercase hex, read in chunks.
pub fn sha256_file(path: &Path) -> Result<String, ArchiveError> {
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Moves the session's recording (and its marker sidecar, when present) into
/// `<archive_dir>/<name>/`, writes the report as JSON and HTML, and a manifest with every
/// file's SHA-256. Returns the entry.
pub fn archive_session(
    archive_dir: &Path,
    report: &BroadcastReport,
    today: time::Date,
    retention_years: i32,
) -> Result<ArchiveEntry, ArchiveError> {
    let session = report.session.as_ref().ok_or(ArchiveError::NoRecording)?;
    let recording = PathBuf::from(&session.recording_path);
    if session.recording_path.is_empty() || !recording.exists() {
        return Err(ArchiveError::NoRecording);
    }
    let name = format!("broadcast-{}-session-{}", report.broadcast.id.0, session.id.0);
    let folder = archive_dir.join(&name);
    std::fs::create_dir_all(&folder).map_err(io(&folder))?;
    let mut sources = vec![recording.clone()];
    let mut sidecar = recording.clone().into_os_string();
    sidecar.push(".markers.json");
    let sidecar = PathBuf::from(sidecar);
    if sidecar.exists() {
        sources.push(sidecar);
    }
    let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = move_and_describe(&folder, &sources, &mut moved, report, today, retention_years, &name);
    if result.is_err() {
        // Put the recording back where the database says it is, and drop the half folder.
        for (source, target) in moved.iter().rev() {
            if std::fs::rename(target, source).is_err() {
                let _ = std::fs::copy(target, source);
            }
        }
        let _ = std::fs::remove_dir_all(&folder);
    }
    result
}

fn move_and_describe(
    folder: &Path,
    sources: &[PathBuf],
    moved: &mut Vec<(PathBuf, PathBuf)>,
    report: &BroadcastReport,
    today: time::Date,
    retention_years: i32,
    name: &str,
) -> Result<ArchiveEntry, ArchiveError> {
    let session = report.session.as_ref().ok_or(ArchiveError::NoRecording)?;
    for source in sources {
        let target = folder.join(source.file_name().unwrap_or_default());
        // A rename within one disk is atomic; across disks, copy then remove.
        if std::fs::rename(source, &target).is_err() {
            std::fs::copy(source, &target).map_err(io(source))?;
            std::fs::remove_file(source).map_err(io(source))?;
        }
        moved.push((source.clone(), target));
    }
    let folder = folder.to_path_buf();
    let json = serde_json::to_vec_pretty(report).map_err(|e| ArchiveError::Manifest { path: folder.clone(), message: e.to_string() })?;
    crate::paths::write_atomic(&folder.join("report.json"), &json).map_err(io(&folder))?;
    crate::paths::write_atomic(&folder.join("report.html"), report_html(report).as_bytes()).map_err(io(&folder))?;

    let mut files = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map_err(io(&folder))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n != MANIFEST))
        .collect();
    names.sort();
    for path in names {
        let bytes = std::fs::metadata(&path).map_err(io(&path))?.len();
        files.push(ArchivedFile {
            name: path.file_name().unwrap_or_default().to_string_lossy().into_owned(),
            bytes,
            sha256: sha256_file(&path)?,
        });
    }
    let keep_until = keep_until(today, retention_years);
    let entry = ArchiveEntry {
        name: name.to_string(),
        broadcast_title: report.broadcast.draft.title.clone(),
        started_at: session.started_at.clone(),
        keep_until: keep_until.to_string(),
        files,
    };
    let manifest = serde_json::to_vec_pretty(&entry).map_err(|e| ArchiveError::Manifest { path: folder.clone(), message: e.to_string() })?;
    crate::paths::write_atomic(&folder.join(MANIFEST), &manifest).map_err(io(&folder))?;
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_until_handles_leap_days() {
        assert_eq!(keep_until(time::macros::date!(2026 - 11 - 25), 3), time::macros::date!(2029 - 11 - 25));
        assert_eq!(keep_until(time::macros::date!(2028 - 02 - 29), 3), time::macros::date!(2031 - 02 - 28));
    }

    #[test]
    fn names_outside_the_archive_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["..", "../etc", "/etc", "a/b", ""] {
            assert!(verify(dir.path(), name).is_err(), "{name:?}");
        }
        // A manifest that points outside its folder is refused too.
        let folder = dir.path().join("broadcast-1-session-1");
        std::fs::create_dir_all(&folder).unwrap();
        let entry = ArchiveEntry {
            name: "broadcast-1-session-1".into(),
            broadcast_title: "x".into(),
            started_at: "x".into(),
            keep_until: "x".into(),
            files: vec![ArchivedFile { name: "../../secret".into(), bytes: 0, sha256: String::new() }],
        };
        std::fs::write(folder.join(MANIFEST), serde_json::to_vec(&entry).unwrap()).unwrap();
        assert!(matches!(verify(dir.path(), "broadcast-1-session-1"), Err(ArchiveError::Manifest { .. })));
    }
}

/// Every archive folder's manifest, newest first. A folder without a readable manifest is
/// skipped (and named in the second list).
pub fn list(archive_dir: &Path) -> (Vec<ArchiveEntry>, Vec<String>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let Ok(dirs) = std::fs::read_dir(archive_dir) else { return (entries, problems) };
    for dir in dirs.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()) {
        let manifest = dir.join(MANIFEST);
        match std::fs::read(&manifest).ok().and_then(|bytes| serde_json::from_slice::<ArchiveEntry>(&bytes).ok()) {
            Some(entry) => entries.push(entry),
            None => problems.push(dir.display().to_string()),
        }
    }
    entries.sort_by(|a, b| b.started_at.cmp(&a.started_at));
    (entries, problems)
}

/// A folder or file name inside the archive must be one plain path component: no `..`,
/// no separators, not absolute.
fn plain_name(name: &str) -> bool {
    let mut components = Path::new(name).components();
    matches!((components.next(), components.next()), (Some(std::path::Component::Normal(_)), None))
}

/// Checks every file of an archive folder against its manifest.
pub fn verify(archive_dir: &Path, name: &str) -> Result<ArchiveEntry, ArchiveError> {
    if !plain_name(name) {
        return Err(ArchiveError::Manifest { path: archive_dir.to_path_buf(), message: format!("{name:?} is not an archive folder name") });
    }
    let folder = archive_dir.join(name);
    let manifest = folder.join(MANIFEST);
    let bytes = std::fs::read(&manifest).map_err(io(&manifest))?;
    let entry: ArchiveEntry =
        serde_json::from_slice(&bytes).map_err(|e| ArchiveError::Manifest { path: manifest.clone(), message: e.to_string() })?;
    if entry.name != name || entry.files.iter().any(|f| !plain_name(&f.name) || f.name == MANIFEST) {
        return Err(ArchiveError::Manifest { path: manifest, message: "the manifest names files outside its folder".into() });
    }
    for file in &entry.files {
        let found = sha256_file(&folder.join(&file.name))?;
        if found != file.sha256 {
            return Err(ArchiveError::Tampered { name: file.name.clone(), found, expected: file.sha256.clone() });
        }
    }
    Ok(entry)
}

/// Copies one archive folder to `destination/<name>` (for handing over as evidence).
pub fn export(archive_dir: &Path, name: &str, destination: &Path) -> Result<PathBuf, ArchiveError> {
    let entry = verify(archive_dir, name)?;
    let target = destination.join(name);
    std::fs::create_dir_all(&target).map_err(io(&target))?;
    for file in entry.files.iter().map(|f| f.name.as_str()).chain([MANIFEST]) {
        std::fs::copy(archive_dir.join(name).join(file), target.join(file)).map_err(io(&target))?;
    }
    Ok(target)
}

/// The whole path of an archive folder, for display.
pub fn folder(archive_dir: &Path, name: &str) -> PathBuf {
    archive_dir.join(name)
}
