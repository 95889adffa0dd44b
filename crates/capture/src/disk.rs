//! Free disk space, for the preflight and the stats.

use std::path::Path;

/// Bytes available to an unprivileged writer on the file system holding `path`
/// (or its nearest existing ancestor). `None` where it cannot be asked.
pub fn available_bytes(path: &Path) -> Option<u64> {
    let mut probe = path;
    while !probe.exists() {
        probe = probe.parent()?;
        if probe.as_os_str().is_empty() {
            probe = Path::new(".");
        }
    }
    available_at(probe)
}

#[cfg(unix)]
fn available_at(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(st.f_bavail as u64 * st.f_frsize as u64)
}

#[cfg(not(unix))]
fn available_at(_path: &Path) -> Option<u64> {
    None
}
