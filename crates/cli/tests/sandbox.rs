//! `anchordesk sandbox` serves the platform contract from `<data-dir>/sandbox/` and stops
//! cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connecting to the sandbox");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn sandbox_serves_the_openapi_document_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_anchordesk"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["sandbox", "--port", "0", "--tick-ms", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("unexpected first line {line:?}")).to_owned();

    let document = get(&addr, "/openapi.json");
    assert!(document.starts_with("HTTP/1.1 200"), "{document}");
    assert!(document.contains("\"openapi\": \"3.1.0\""));
    assert!(document.contains("/v1/broadcasts/{broadcast_id}/pin"));
    let page = get(&addr, "/shop/demo");
    assert!(page.starts_with("HTTP/1.1 200") && page.contains("暂无直播"), "{page}");
    assert!(dir.path().join("sandbox").join("sandbox.sqlite3").exists());

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("the sandbox did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
}
