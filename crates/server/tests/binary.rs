//! `anchordesk-server` as an operator runs it: create an organisation from the shell (the
//! one-time password printed once), serve, sign in with that password, stop with SIGTERM.

use anchordesk_server::testkit::TestPostgres;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn create_an_organisation_then_serve_and_sign_in() {
    let pg = TestPostgres::start();
    let bin = env!("CARGO_BIN_EXE_anchordesk-server");
    let created = Command::new(bin).args(["admin", "create-org", "星火MCN", "--owner", "boss@xinghuo.cn", "--database-url", &pg.url()]).output().unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let stdout = String::from_utf8_lossy(&created.stdout);
    let password = stdout.lines().find_map(|l| l.strip_prefix("one-time password: ")).expect("the password is printed").to_string();
    assert!(!pg.psql("SELECT password_hash FROM member").contains(&password), "only the hash is stored");
    // The same email again is refused with a message.
    let again = Command::new(bin).args(["admin", "create-org", "又一个", "--owner", "boss@xinghuo.cn", "--database-url", &pg.url()]).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already a member"), "{}", String::from_utf8_lossy(&again.stderr));

    let mut server = Command::new(bin).args(["serve", "--database-url", &pg.url(), "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let url = first.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let status = runtime.block_on(async {
        reqwest::Client::new().post(format!("{url}/api/v1/sign-in")).json(&serde_json::json!({ "email": "boss@xinghuo.cn", "password": password })).send().await.unwrap().status()
    });
    assert_eq!(status, reqwest::StatusCode::OK);
    Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    let exit = server.wait().unwrap();
    assert!(exit.success(), "stops cleanly on SIGTERM: {exit}");

    // Plain HTTP off loopback is refused with what to do.
    let outside = Command::new(bin).args(["serve", "--database-url", &pg.url(), "--listen", "0.0.0.0:0"]).output().unwrap();
    assert!(!outside.status.success());
    assert!(String::from_utf8_lossy(&outside.stderr).contains("--behind-proxy"));
}
