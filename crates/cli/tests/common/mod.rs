//! What the CLI tests that need the OS keyring share: a private session bus with GNOME
//! Keyring on it, and the `anchordesk` binary run against it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// A private session bus with an unlocked GNOME Keyring on it, as a desktop session has.
pub struct Keyring {
    bus: Child,
    daemon: Child,
    pub address: String,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Keyring {
    pub fn start() -> Keyring {
        let mut bus = Command::new("dbus-daemon").args(["--session", "--nofork", "--print-address"]).stdout(Stdio::piped()).spawn().expect("dbus-daemon (make test installs it)");
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap()).read_line(&mut address).unwrap();
        let address = address.trim().to_string();
        let (runtime, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env("XDG_DATA_HOME", data.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon");
        daemon.stdin.take().unwrap().write_all(b"anchordesk-test").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(700));
        Keyring { bus, daemon, address, _dirs: (runtime, data) }
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        for child in [&mut self.daemon, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn desk(keyring: &Keyring, data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_anchordesk"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.address)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.unwrap_or_default().as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

pub fn ok(output: &Output) -> String {
    assert!(output.status.success(), "{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

