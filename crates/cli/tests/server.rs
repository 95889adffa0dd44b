//! `anchordesk server` is the team server's command line inside the desk's CLI: the same
//! subcommands as `anchordesk-server`.

use anchordesk_server::testkit::TestPostgres;
use std::process::Command;

#[test]
fn anchordesk_server_admin_creates_an_organisation_on_a_real_postgres() {
    let pg = TestPostgres::start();
    let output = Command::new(env!("CARGO_BIN_EXE_anchordesk"))
        .args(["server", "admin", "create-org", "青山县商务局", "--owner", "Chief@QingShan.gov.cn", "--database-url", &pg.url()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let password = stdout.lines().find_map(|l| l.strip_prefix("one-time password: ")).expect("printed once");
    assert_eq!(pg.psql("SELECT o.name || ' ' || m.email || ' ' || m.role FROM member m JOIN org o ON o.id = m.org_id"), "青山县商务局 chief@qingshan.gov.cn owner");
    let hash = pg.psql("SELECT password_hash FROM member");
    assert!(anchordesk_server::auth::verify_password(password, &hash));
}
