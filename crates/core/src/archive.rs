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
    #[error(transparent)]
    Store(#[from] crate::StoreError),
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

/// What archiving one session needs, kept in the journal (the `archive_job` table) from the
/// intent to the commit, so that the next start can finish an archiving cut short.
#[derive(Clone, Debug)]
pub struct ArchiveJob {
    pub session: crate::live::SessionId,
    /// `<archive dir>/broadcast-B-session-S`.
    pub folder: PathBuf,
    pub report: BroadcastReport,
    /// Keep until this date (`YYYY-MM-DD`).
    pub keep_until: String,
}

impl ArchiveJob {
    /// The job for a report's session; refused when the session has no recording.
    pub fn new(archive_dir: &Path, report: &BroadcastReport, today: time::Date, retention_years: i32) -> Result<ArchiveJob, ArchiveError> {
        let session = report.session.as_ref().filter(|s| !s.recording_path.is_empty()).ok_or(ArchiveError::NoRecording)?;
        Ok(ArchiveJob {
            session: session.id,
            folder: archive_dir.join(format!("broadcast-{}-session-{}", report.broadcast.id.0, session.id.0)),
            report: report.clone(),
            keep_until: keep_until(today, retention_years).to_string(),
        })
    }

    fn name(&self) -> String {
        self.folder.file_name().unwrap_or_default().to_string_lossy().into_owned()
    }

    /// The recording and its marker sidecar where they were, and where they go.
    fn moves(&self) -> [(PathBuf, PathBuf); 2] {
        let recording = PathBuf::from(self.report.session.as_ref().map(|s| s.recording_path.as_str()).unwrap_or_default());
        let mut sidecar = recording.clone().into_os_string();
        sidecar.push(".markers.json");
        let sidecar = PathBuf::from(sidecar);
        [&recording, &sidecar].map(|source| (source.clone(), self.folder.join(source.file_name().unwrap_or_default())))
    }

    /// Where the recording is now: moved into the archive, or still where it was.
    pub fn recording_now(&self) -> Option<PathBuf> {
        let [(source, target), _] = self.moves();
        [target, source].into_iter().find(|path| path.exists())
    }
}

/// The steps of archiving, in order. With the `crash-points` feature (tests only), setting
/// `ANCHORDESK_CRASH_AT=archive:<step>` aborts the process right after that step.
pub const STEPS: [&str; 5] = ["intent", "described", "moved", "manifest", "committed"];

fn crash_point(step: &str) {
    #[cfg(feature = "crash-points")]
    if std::env::var("ANCHORDESK_CRASH_AT").is_ok_and(|at| at.strip_prefix("archive:") == Some(step)) {
        eprintln!("crash injected after archive step {step}");
        std::process::abort();
    }
    #[cfg(not(feature = "crash-points"))]
    let _ = step;
}

fn lock(store: &std::sync::Mutex<crate::Store>) -> std::sync::MutexGuard<'_, crate::Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// Archives a session as a journaled sequence: the intent (with the report) in SQLite; the
/// report written into the folder (temporary file, fsync, rename, folder fsync); the
/// recording and its marker sidecar moved in (a rename, or a copy made durable before the
/// original is removed); the manifest of SHA-256 digests; then, in one transaction, the
/// session pointed at the archived recording and the intent deleted. The store is locked
/// only for the intent and the commit, not while hours of video are hashed. A crash at any
/// step is finished by [`finish_pending`] at the next start. Returns the entry.
pub fn archive_session(
    store: &std::sync::Mutex<crate::Store>,
    archive_dir: &Path,
    report: &BroadcastReport,
    today: time::Date,
    retention_years: i32,
) -> Result<ArchiveEntry, ArchiveError> {
    let job = ArchiveJob::new(archive_dir, report, today, retention_years)?;
    if job.recording_now().is_none() {
        return Err(ArchiveError::NoRecording);
    }
    lock(store).begin_archive_job(&job)?;
    crash_point("intent");
    match carry_out(&job) {
        Ok((entry, recording)) => {
            lock(store).commit_archive_job(job.session, &recording.display().to_string())?;
            crash_point("committed");
            Ok(entry)
        }
        Err(err) => {
            // The database must name the recording where it is, even if the job stays for
            // the next start to finish.
            if let Some(now) = job.recording_now() {
                lock(store).move_recording(job.session, &now.display().to_string())?;
            }
            Err(err)
        }
    }
}

/// Finishes every archiving cut short by a crash, carrying each on from where it stopped
/// (every step can run again). A job whose recording is gone from both places is dropped.
/// Returns what became of each.
pub fn finish_pending(store: &mut crate::Store) -> Vec<(crate::live::SessionId, Result<ArchiveEntry, ArchiveError>)> {
    let jobs = match store.archive_jobs() {
        Ok(jobs) => jobs,
        Err(err) => return vec![(crate::live::SessionId(0), Err(err.into()))],
    };
    jobs.into_iter()
        .map(|job| {
            let outcome = match carry_out(&job) {
                Ok((entry, recording)) => store.commit_archive_job(job.session, &recording.display().to_string()).map(|()| entry).map_err(ArchiveError::from),
                Err(ArchiveError::NoRecording) => store.abandon_archive_job(job.session).map_err(ArchiveError::from).and(Err(ArchiveError::NoRecording)),
                Err(err) => Err(err),
            };
            (job.session, outcome)
        })
        .collect()
}

/// The file steps of a job, each safe to run again: returns the entry and the recording's
/// path in the archive.
fn carry_out(job: &ArchiveJob) -> Result<(ArchiveEntry, PathBuf), ArchiveError> {
    let folder = &job.folder;
    std::fs::create_dir_all(folder).map_err(io(folder))?;
    let json = serde_json::to_vec_pretty(&job.report).map_err(|e| ArchiveError::Manifest { path: folder.clone(), message: e.to_string() })?;
    crate::paths::write_atomic(&folder.join("report.json"), &json).map_err(io(folder))?;
    crate::paths::write_atomic(&folder.join("report.html"), report_html(&job.report).as_bytes()).map_err(io(folder))?;
    crash_point("described");

    let [(recording, archived), (sidecar, archived_sidecar)] = job.moves();
    if !move_durably(&recording, &archived)? {
        return Err(ArchiveError::NoRecording);
    }
    move_durably(&sidecar, &archived_sidecar)?;
    crash_point("moved");

    let mut names: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(io(folder))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n != MANIFEST && !n.to_string_lossy().starts_with('.')))
        .collect();
    names.sort();
    let mut files = Vec::new();
    for path in names {
        let bytes = std::fs::metadata(&path).map_err(io(&path))?.len();
        files.push(ArchivedFile { name: path.file_name().unwrap_or_default().to_string_lossy().into_owned(), bytes, sha256: sha256_file(&path)? });
    }
    let entry = ArchiveEntry {
        name: job.name(),
        broadcast_title: job.report.broadcast.draft.title.clone(),
        started_at: job.report.session.as_ref().map(|s| s.started_at.clone()).unwrap_or_default(),
        keep_until: job.keep_until.clone(),
        files,
    };
    let manifest = serde_json::to_vec_pretty(&entry).map_err(|e| ArchiveError::Manifest { path: folder.clone(), message: e.to_string() })?;
    crate::paths::write_atomic(&folder.join(MANIFEST), &manifest).map_err(io(folder))?;
    crash_point("manifest");
    Ok((entry, archived))
}

/// Moves `source` to `target` so that the move survives a power cut: a rename (then both
/// folders flushed), or across disks a copy to a temporary file flushed and renamed into
/// place before the original is removed. `Ok(false)`: neither exists; `Ok(true)` also when
/// it had been moved before.
fn move_durably(source: &Path, target: &Path) -> Result<bool, ArchiveError> {
    if !source.exists() {
        return Ok(target.exists());
    }
    let sync_dir = |file: &Path| match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir)),
        _ => Ok(()),
    };
    if std::fs::rename(source, target).is_err() {
        let tmp = target.with_file_name(format!(".{}.partial", target.file_name().unwrap_or_default().to_string_lossy()));
        std::fs::copy(source, &tmp).map_err(io(source))?;
        std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(io(&tmp))?;
        std::fs::rename(&tmp, target).map_err(io(target))?;
        sync_dir(target)?;
        std::fs::remove_file(source).map_err(io(source))?;
    }
    sync_dir(target)?;
    sync_dir(source)?;
    Ok(true)
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
