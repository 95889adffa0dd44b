//! Two desks in one team, through `anchordesk team` as real binaries, against a real team
//! server on a real PostgreSQL, with the session tokens in a real Secret Service (GNOME
//! Keyring on a private D-Bus session bus): a product made on one desk reaches the other, an
//! edit comes back, nothing is sent twice or echoed, and leaving keeps the local catalog.

mod common;

use anchordesk_core::{Fen, ProductDraft, Store, paths};
use anchordesk_server::testkit::TestPostgres;
use common::{Keyring, desk, ok};
use std::path::Path;

/// A real team server on a real PostgreSQL with one organisation, for the desks to join.
struct TeamServer {
    runtime: tokio::runtime::Runtime,
    server: anchordesk_server::RunningServer,
    url: String,
    org: anchordesk_server::admin::CreatedOrg,
    /// Kept until the test ends (dropping it stops PostgreSQL).
    _pg: TestPostgres,
    /// The classes' practice shops (removed when the test ends).
    _shops: tempfile::TempDir,
}

impl TeamServer {
    fn start(org: &str, owner: &str, tls: Option<anchordesk_server::TlsFiles>) -> TeamServer {
        let pg = TestPostgres::start();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let shops = tempfile::tempdir().unwrap();
        let config = anchordesk_server::Config { database_url: pg.url(), listen: "127.0.0.1:0".parse().unwrap(), behind_proxy: false, tls, data_dir: Some(shops.path().into()) };
        let server = runtime.block_on(anchordesk_server::start(config)).unwrap();
        let pool = anchordesk_server::db::connect(&pg.url()).unwrap();
        let org = runtime.block_on(anchordesk_server::admin::create_org(&pool, org, owner)).unwrap();
        TeamServer { runtime, url: server.base_url(), server, org, _pg: pg, _shops: shops }
    }
}

/// The owner (email, own password) adds a member through the API; their one-time password.
fn add_member(runtime: &tokio::runtime::Runtime, url: &str, org: i64, owner: (&str, &str), email: &str, role: &str) -> String {
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let session: serde_json::Value = http.post(format!("{url}/api/v1/sign-in")).json(&serde_json::json!({ "email": owner.0, "password": owner.1 })).send().await.unwrap().json().await.unwrap();
        let added: serde_json::Value = http
            .post(format!("{url}/api/v1/orgs/{org}/members"))
            .bearer_auth(session["token"].as_str().unwrap())
            .json(&serde_json::json!({ "email": email, "role": role }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        added["oneTimePassword"].as_str().unwrap().to_string()
    })
}

fn store(data_dir: &Path) -> Store {
    Store::open(&paths::db_path(data_dir)).unwrap()
}

#[test]
fn two_desks_share_the_catalog_through_the_team_server() {
    let TeamServer { runtime, server, url, org, _pg, .. } = TeamServer::start("星火MCN", "boss@xinghuo.cn", None);
    let keyring = Keyring::start();
    let (room1, room2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    // Room 1 joins and makes a product; sync sends it (and only it: samples stay local).
    // A one-time password alone does not join: the owner chooses their own on the next line.
    let refused = desk(&keyring, room1.path(), &["team", "join", &url, "--email", "boss@xinghuo.cn", "--password-stdin"], Some(&format!("{}\n", org.one_time_password)));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("one-time password"), "{}", String::from_utf8_lossy(&refused.stderr));
    let own = "星火的新密码-2026";
    let joined = ok(&desk(&keyring, room1.path(), &["team", "join", &url, "--email", "boss@xinghuo.cn", "--password-stdin"], Some(&format!("{}\n{own}\n", org.one_time_password))));
    assert!(joined.contains("joined 星火MCN") && joined.contains("owner"), "{joined}");
    let draft = ProductDraft { sku: "ORANGE-5KG".into(), name: "赣南脐橙 5kg".into(), price: Fen(5990), stock: 100, ..ProductDraft::default() };
    store(room1.path()).create_product(&draft).unwrap();
    assert_eq!(ok(&desk(&keyring, room1.path(), &["team", "sync"], None)).trim(), "sent 1, received 0");
    assert_eq!(ok(&desk(&keyring, room1.path(), &["team", "sync"], None)).trim(), "sent 0, received 0", "nothing twice, no echo");
    let setting = store(room1.path()).setting("team").unwrap().unwrap();
    assert!(!setting.to_lowercase().contains("token"), "the token is in the keyring, not in SQLite: {setting}");

    // Room 2 (the same owner at another desk) joins and receives it, edits the price.
    ok(&desk(&keyring, room2.path(), &["team", "join", &url, "--email", "boss@xinghuo.cn", "--password-stdin"], Some(&format!("{own}\n"))));
    assert_eq!(ok(&desk(&keyring, room2.path(), &["team", "sync"], None)).trim(), "sent 0, received 1");
    let mut there = store(room2.path()).product_by_sku("ORANGE-5KG").unwrap().expect("the product reached room 2");
    assert_eq!(there.draft.name, "赣南脐橙 5kg");
    there.draft.price = Fen(4990);
    store(room2.path()).update_product(there.id, &there.draft).unwrap();
    assert_eq!(ok(&desk(&keyring, room2.path(), &["team", "sync"], None)).trim(), "sent 1, received 0");

    // Back in room 1: the edit arrives, and is not sent back.
    assert_eq!(ok(&desk(&keyring, room1.path(), &["team", "sync"], None)).trim(), "sent 0, received 1");
    assert_eq!(store(room1.path()).product_by_sku("ORANGE-5KG").unwrap().unwrap().draft.price, Fen(4990));
    assert_eq!(ok(&desk(&keyring, room1.path(), &["team", "sync"], None)).trim(), "sent 0, received 0");
    let status = ok(&desk(&keyring, room1.path(), &["team", "status"], None));
    assert!(status.contains("星火MCN") && status.contains("1 products known"), "{status}");

    // A renamed SKU: the team withdraws the old one, and room 2 follows.
    let mut orange = store(room1.path()).product_by_sku("ORANGE-5KG").unwrap().unwrap();
    orange.draft.sku = "ORANGE-GN-5KG".into();
    store(room1.path()).update_product(orange.id, &orange.draft).unwrap();
    assert_eq!(ok(&desk(&keyring, room1.path(), &["team", "sync"], None)).trim(), "sent 2, received 0");
    assert_eq!(ok(&desk(&keyring, room2.path(), &["team", "sync"], None)).trim(), "sent 0, received 2");
    assert!(store(room2.path()).product_by_sku("ORANGE-5KG").unwrap().is_none(), "the old SKU is withdrawn");
    assert_eq!(store(room2.path()).product_by_sku("ORANGE-GN-5KG").unwrap().unwrap().draft.price, Fen(4990));
    assert_eq!(ok(&desk(&keyring, room1.path(), &["team", "sync"], None)).trim(), "sent 0, received 0", "nothing echoed");

    // Leaving keeps the local catalog; syncing then says to join.
    assert!(ok(&desk(&keyring, room1.path(), &["team", "leave"], None)).contains("local catalog is kept"));
    assert!(store(room1.path()).product_by_sku("ORANGE-GN-5KG").unwrap().is_some());
    let after = desk(&keyring, room1.path(), &["team", "sync"], None);
    assert!(!after.status.success() && String::from_utf8_lossy(&after.stderr).contains("join one first"), "{}", String::from_utf8_lossy(&after.stderr));

    // Plain HTTP to another machine is refused before anything is sent.
    let insecure = desk(&keyring, room1.path(), &["team", "join", "http://team.example.cn", "--email", "boss@xinghuo.cn", "--password-stdin"], Some("x\n"));
    assert!(String::from_utf8_lossy(&insecure.stderr).contains("https://"), "{}", String::from_utf8_lossy(&insecure.stderr));
    runtime.block_on(server.shutdown()).unwrap();
}

#[test]
fn an_anchor_desk_receives_the_team_catalog_and_keeps_its_own_edits_local() {
    let TeamServer { runtime, server, url, org, _pg, .. } = TeamServer::start("县域助农", "chief@county.cn", None);
    let keyring = Keyring::start();
    let (office, anchor_desk) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    // The county office shares a product, then adds an anchor through the API.
    ok(&desk(&keyring, office.path(), &["team", "join", &url, "--email", "chief@county.cn", "--password-stdin"], Some(&format!("{}\n县里的新密码-2026\n", org.one_time_password))));
    let honey = ProductDraft { sku: "HONEY-500G".into(), name: "山区土蜂蜜 500g".into(), price: Fen(6800), stock: 40, ..ProductDraft::default() };
    store(office.path()).create_product(&honey).unwrap();
    assert_eq!(ok(&desk(&keyring, office.path(), &["team", "sync"], None)).trim(), "sent 1, received 0");
    let anchor_password = add_member(&runtime, &url, org.org_id, ("chief@county.cn", "县里的新密码-2026"), "farmer@county.cn", "anchor");

    // The farmer's desk has a product of its own; joining as an anchor it receives the
    // county's, and its own edit stays on the desk (an anchor may not change the catalog).
    let mine = ProductDraft { sku: "MY-EGGS".into(), name: "自家土鸡蛋 30枚".into(), price: Fen(3900), stock: 20, ..ProductDraft::default() };
    store(anchor_desk.path()).create_product(&mine).unwrap();
    ok(&desk(&keyring, anchor_desk.path(), &["team", "join", &url, "--email", "farmer@county.cn", "--password-stdin"], Some(&format!("{anchor_password}\n农户自己的密码-2026\n"))));
    let synced = desk(&keyring, anchor_desk.path(), &["team", "sync"], None);
    assert_eq!(ok(&synced).trim(), "sent 0, received 1");
    assert!(String::from_utf8_lossy(&synced.stderr).contains("1 local change(s) kept on this desk"), "{}", String::from_utf8_lossy(&synced.stderr));
    assert!(store(anchor_desk.path()).product_by_sku("HONEY-500G").unwrap().is_some());
    assert!(store(anchor_desk.path()).product_by_sku("MY-EGGS").unwrap().is_some(), "its own product stays");
    assert_eq!(ok(&desk(&keyring, office.path(), &["team", "sync"], None)).trim(), "sent 0, received 0", "the anchor's product did not reach the team");

    // Another process syncing the same desk (the app, here this test holding its lock): the
    // CLI waits for it rather than applying the same entries at the same time.
    let db = paths::db_path(anchor_desk.path());
    let held = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(db.with_extension("team-sync.lock")).unwrap();
    held.lock().unwrap();
    let started = std::time::Instant::now();
    let waiting = std::thread::scope(|scope| {
        let cli = scope.spawn(|| desk(&keyring, anchor_desk.path(), &["team", "sync"], None));
        std::thread::sleep(std::time::Duration::from_millis(1500));
        assert!(!cli.is_finished(), "the sync waits for the other process");
        held.unlock().unwrap();
        cli.join().unwrap()
    });
    assert_eq!(ok(&waiting).trim(), "sent 0, received 0");
    assert!(started.elapsed() >= std::time::Duration::from_millis(1500));
    runtime.block_on(server.shutdown()).unwrap();
}

#[test]
fn a_desk_joins_a_server_with_its_own_certificate_when_given_it() {
    let dir = tempfile::tempdir().unwrap();
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let tls = anchordesk_server::TlsFiles { cert: dir.path().join("team.crt"), key: dir.path().join("team.key") };
    std::fs::write(&tls.cert, generated.cert.pem()).unwrap();
    std::fs::write(&tls.key, generated.key_pair.serialize_pem()).unwrap();
    let TeamServer { runtime, server, url, org, _pg, .. } = TeamServer::start("县电商中心", "it@county.cn", Some(tls.clone()));
    assert!(url.starts_with("https://"), "{url}");
    let keyring = Keyring::start();
    let office = tempfile::tempdir().unwrap();
    let password = format!("{}\n县中心的新密码-2026\n", org.one_time_password);

    // Without the certificate the desk does not trust the server, and says so.
    let untrusted = desk(&keyring, office.path(), &["team", "join", &url, "--email", "it@county.cn", "--password-stdin"], Some(&password));
    assert!(!untrusted.status.success());
    assert!(String::from_utf8_lossy(&untrusted.stderr).contains("not reachable"), "{}", String::from_utf8_lossy(&untrusted.stderr));
    // A file that is not a certificate is named as such.
    let not_pem = dir.path().join("notes.txt");
    std::fs::write(&not_pem, "ask the IT office").unwrap();
    let wrong = desk(&keyring, office.path(), &["team", "join", &url, "--email", "it@county.cn", "--password-stdin", "--ca-file", not_pem.to_str().unwrap()], Some(&password));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("certificate"), "{}", String::from_utf8_lossy(&wrong.stderr));

    // With it, the desk joins, and syncs over TLS later on its own.
    let joined = ok(&desk(&keyring, office.path(), &["team", "join", &url, "--email", "it@county.cn", "--password-stdin", "--ca-file", tls.cert.to_str().unwrap()], Some(&password)));
    assert!(joined.contains("joined 县电商中心"), "{joined}");
    assert!(ok(&desk(&keyring, office.path(), &["team", "status"], None)).contains("its own certificate trusted"));
    let tea = ProductDraft { sku: "TEA-250G".into(), name: "高山绿茶 250g".into(), price: Fen(8800), stock: 30, ..ProductDraft::default() };
    store(office.path()).create_product(&tea).unwrap();
    assert_eq!(ok(&desk(&keyring, office.path(), &["team", "sync"], None)).trim(), "sent 1, received 0");

    // A class on this server: its practice shop is reached over TLS with the same certificate
    // (a rehearsal's calls all reach it: nothing is left in the outbox).
    ok(&desk(&keyring, office.path(), &["team", "rooms", "add", "实训班", "--class"], None));
    ok(&desk(&keyring, office.path(), &["team", "room", "实训班"], None));
    ok(&desk(&keyring, office.path(), &["team", "course", "orange-organic"], None));
    assert!(ok(&desk(&keyring, office.path(), &["team", "practice-shop"], None)).contains(&format!("platform: {url}/classes/")));
    let prepared = ok(&desk(&keyring, office.path(), &["course", "rehearse", "orange-organic", "--student-id", "T1", "--student-name", "县中心"], None));
    let broadcast = anchordesk_core::BroadcastId(prepared.trim().parse().unwrap());
    {
        let mut store = store(office.path());
        for item in store.checklist(broadcast).unwrap() {
            if item.auto_check.is_none() {
                store.set_checklist_done(item.id, true, "县中心").unwrap();
            }
        }
    }
    let run = desk(&keyring, office.path(), &["live", "run", &broadcast.0.to_string(), "--rehearsal", "--each", "1"], None);
    let said = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success() && said.contains("a class's practice shop") && !said.contains("outbox"), "{said}");
    assert_eq!(store(office.path()).outbox_counts().unwrap().pending, 0, "{said}");
    runtime.block_on(server.shutdown()).unwrap();
}

#[test]
fn a_desk_in_a_team_syncs_on_its_own_and_keeps_the_failure_for_settings() {
    use anchordesk_desk_sync::team;
    use std::sync::{Arc, Mutex};
    let TeamServer { runtime, server, url, org, _pg, .. } = TeamServer::start("星火MCN", "boss@xinghuo.cn", None);
    let keyring = Keyring::start();
    let (room1, room2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ok(&desk(&keyring, room1.path(), &["team", "join", &url, "--email", "boss@xinghuo.cn", "--password-stdin"], Some(&format!("{}\n星火的新密码-2026\n", org.one_time_password))));
    let melon = ProductDraft { sku: "MELON-2".into(), name: "哈密瓜 2个装".into(), price: Fen(3990), stock: 50, ..ProductDraft::default() };
    store(room1.path()).create_product(&melon).unwrap();

    // The desk's background sync, as the app runs it, with this test's keyring.
    // SAFETY: set before any thread of this test process reads the environment.
    unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &keyring.address) };
    let shared = Arc::new(Mutex::new(store(room1.path())));
    let run_until_recorded = |shared: Arc<Mutex<Store>>, previous: Option<i64>| {
        runtime.block_on(async {
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let task = tokio::spawn(team::run_background(shared.clone(), team::Schedule::every(std::time::Duration::from_millis(300)), stopped, Default::default(), |_| {}));
            for _ in 0..100 {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                let link = team::link(&shared.lock().unwrap()).unwrap().unwrap();
                if link.auto_synced_at_ms.is_some() && link.auto_synced_at_ms != previous {
                    break;
                }
            }
            stop.send(true).unwrap();
            task.await.unwrap();
        });
        team::link(&shared.lock().unwrap()).unwrap().unwrap()
    };
    let after = run_until_recorded(shared.clone(), None);
    assert!(after.auto_synced_at_ms.is_some() && after.auto_error.is_none(), "{after:?}");

    // Woken (a broadcast went on air), it runs at once, not an interval later: here the
    // interval is an hour, so a second run can only come from the wake.
    runtime.block_on(async {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let wake = Arc::new(tokio::sync::Notify::new());
        let task = tokio::spawn(team::run_background(shared.clone(), team::Schedule::every(std::time::Duration::from_secs(3600)), stopped, wake.clone(), |_| {}));
        let ran_at = |shared: &Arc<Mutex<Store>>| team::link(&shared.lock().unwrap()).unwrap().unwrap().auto_synced_at_ms;
        let first = ran_at(&shared);
        wake.notify_one();
        let mut second = first;
        for _ in 0..600 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            second = ran_at(&shared);
            if second != first {
                break;
            }
        }
        assert_ne!(second, first, "the wake started a run");
        stop.send(true).unwrap();
        task.await.unwrap();
    });
    // Nobody pressed sync: the product is on the server, and another room receives it.
    ok(&desk(&keyring, room2.path(), &["team", "join", &url, "--email", "boss@xinghuo.cn", "--password-stdin"], Some("星火的新密码-2026\n")));
    assert_eq!(ok(&desk(&keyring, room2.path(), &["team", "sync"], None)).trim(), "sent 0, received 1");

    // With the server gone, the run fails, says why for Settings → Team, and loses nothing.
    runtime.block_on(server.shutdown()).unwrap();
    let tea = ProductDraft { sku: "TEA-1".into(), name: "红茶".into(), price: Fen(2900), stock: 5, ..ProductDraft::default() };
    shared.lock().unwrap().create_product(&tea).unwrap();
    let latest = team::link(&shared.lock().unwrap()).unwrap().unwrap().auto_synced_at_ms;
    let failed = run_until_recorded(shared.clone(), latest);
    assert!(failed.auto_error.as_deref().is_some_and(|e| e.contains("not reachable")), "{failed:?}");
    assert!(shared.lock().unwrap().product_by_sku("TEA-1").unwrap().is_some());
}

#[test]
fn the_team_rule_pack_reaches_every_desk_and_an_anchor_cannot_change_it() {
    use anchordesk_core::rules::TeamSettings;
    let TeamServer { runtime, server, url, org, _pg, .. } = TeamServer::start("星火MCN", "boss@xinghuo.cn", None);
    let keyring = Keyring::start();
    let (office, room) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ok(&desk(&keyring, office.path(), &["team", "join", &url, "--email", "boss@xinghuo.cn", "--password-stdin"], Some(&format!("{}\n星火的新密码-2026\n", org.one_time_password))));
    let anchor_password = add_member(&runtime, &url, org.org_id, ("boss@xinghuo.cn", "星火的新密码-2026"), "zhubo@xinghuo.cn", "anchor");

    // The MCN's 运营 desk forbids a brand's banned phrase and switches a rule off.
    let word = |pattern: &str| anchordesk_claims::TeamWord {
        pattern: pattern.into(),
        category: anchordesk_claims::Category::Absolute,
        severity: anchordesk_claims::Severity::Warning,
        message: format!("品牌方禁用：{pattern}"),
        rewrites: vec![],
    };
    let pack = TeamSettings { disabled_rules: vec![], words: vec![word("闭眼入")], lexicon_words: vec![] };
    store(office.path()).save_team_rules(&pack, &anchordesk_core::rules::rules_dir(office.path())).unwrap();
    let sent = ok(&desk(&keyring, office.path(), &["team", "sync"], None));
    assert!(sent.contains("rule pack sent"), "{sent}");
    assert!(!ok(&desk(&keyring, office.path(), &["team", "sync"], None)).contains("rule pack"), "nothing twice");

    // The room's anchor had a word of their own; joining, the team's pack replaces it (kept
    // aside), and the desk's linter flags the team's word from then on.
    store(room.path()).save_team_rules(&TeamSettings { words: vec![word("我自己的词")], ..TeamSettings::default() }, &anchordesk_core::rules::rules_dir(room.path())).unwrap();
    ok(&desk(&keyring, room.path(), &["team", "join", &url, "--email", "zhubo@xinghuo.cn", "--password-stdin"], Some(&format!("{anchor_password}\n主播自己的密码-2026\n"))));
    let synced = desk(&keyring, room.path(), &["team", "sync"], None);
    assert!(ok(&synced).contains("rule pack received"), "{}", String::from_utf8_lossy(&synced.stdout));
    assert!(String::from_utf8_lossy(&synced.stderr).contains("set aside"), "{}", String::from_utf8_lossy(&synced.stderr));
    assert_eq!(store(room.path()).team_rules().unwrap(), pack);
    assert_eq!(store(room.path()).replaced_team_rules().unwrap().unwrap().words[0].pattern, "我自己的词", "the desk's own words are kept, not lost");
    let lint = desk(&keyring, room.path(), &["lint", "--format", "json", "-"], Some("这款蜂蜜闭眼入"));
    assert!(String::from_utf8_lossy(&lint.stdout).contains("team.闭眼入"), "{}{}", String::from_utf8_lossy(&lint.stdout), String::from_utf8_lossy(&lint.stderr));

    // The anchor's edit is not sent (their role may not change the team's pack); the next
    // change from the office replaces it on the room's desk.
    store(room.path()).save_team_rules(&TeamSettings { words: vec![word("主播改的")], ..pack.clone() }, &anchordesk_core::rules::rules_dir(room.path())).unwrap();
    assert!(!ok(&desk(&keyring, room.path(), &["team", "sync"], None)).contains("rule pack sent"));
    let newer = TeamSettings { disabled_rules: vec!["zh.absolute.first".into()], ..pack.clone() };
    store(office.path()).save_team_rules(&newer, &anchordesk_core::rules::rules_dir(office.path())).unwrap();
    assert!(ok(&desk(&keyring, office.path(), &["team", "sync"], None)).contains("rule pack sent"));
    assert!(ok(&desk(&keyring, room.path(), &["team", "sync"], None)).contains("rule pack received"));
    assert_eq!(store(room.path()).team_rules().unwrap(), newer);
    // Going back to the settings sent before is a change like any other.
    store(office.path()).save_team_rules(&pack, &anchordesk_core::rules::rules_dir(office.path())).unwrap();
    assert!(ok(&desk(&keyring, office.path(), &["team", "sync"], None)).contains("rule pack sent"));
    let synced = desk(&keyring, room.path(), &["team", "sync"], None);
    assert!(ok(&synced).contains("rule pack received"));
    assert!(!String::from_utf8_lossy(&synced.stderr).contains("set aside"), "a team pack taken before is not the desk's own");
    assert_eq!(store(room.path()).team_rules().unwrap(), pack);
    assert_eq!(store(room.path()).replaced_team_rules().unwrap().unwrap().words[0].pattern, "我自己的词", "the first copy set aside is kept");

    // The room's desk plans tonight's broadcast: the sync publishes it (once, and again when
    // it changes), and the 运营 sees its line-up on the team's web page.
    let mut room_store = store(room.path());
    let honey = room_store.create_product(&ProductDraft { sku: "HONEY-500G".into(), name: "山区土蜂蜜 500g".into(), price: Fen(6800), stock: 40, ..ProductDraft::default() }).unwrap();
    let draft = anchordesk_core::BroadcastDraft { title: "3号直播间 晚场".into(), planned_start: "2026-12-07T20:00".into(), platform: "sandbox".into(), ..Default::default() };
    let tonight = room_store.create_broadcast(&draft).unwrap();
    room_store.add_lineup_item(tonight.id, honey.id).unwrap();
    drop(room_store);

    // The office opens two live rooms and puts the anchor in one; the anchor's desk may work
    // for that one only, and publishes into it.
    assert!(ok(&desk(&keyring, office.path(), &["team", "rooms", "add", "3号直播间"], None)).contains("opened 3号直播间"));
    ok(&desk(&keyring, office.path(), &["team", "rooms", "add", "7号直播间"], None));
    let refused = desk(&keyring, room.path(), &["team", "rooms", "add", "主播的直播间"], None);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("may not manage live rooms"), "{}", String::from_utf8_lossy(&refused.stderr));
    ok(&desk(&keyring, office.path(), &["team", "rooms", "assign", "3号直播间", "zhubo@xinghuo.cn"], None));
    let listed = ok(&desk(&keyring, room.path(), &["team", "rooms"], None));
    assert!(listed.contains("3号直播间 (live room, yours): zhubo@xinghuo.cn") && listed.contains("7号直播间 (live room): no members yet"), "{listed}");
    let not_mine = desk(&keyring, room.path(), &["team", "room", "7号直播间"], None);
    assert!(String::from_utf8_lossy(&not_mine.stderr).contains("you do not work in \"7号直播间\""), "{}", String::from_utf8_lossy(&not_mine.stderr));
    assert!(ok(&desk(&keyring, room.path(), &["team", "room", "3号直播间"], None)).contains("works for 3号直播间"));
    assert!(ok(&desk(&keyring, room.path(), &["team", "status"], None)).contains("working for 3号直播间"));
    assert!(ok(&desk(&keyring, room.path(), &["team", "rooms"], None)).contains("* 3号直播间"), "the picked room is marked");
    assert!(ok(&desk(&keyring, room.path(), &["team", "sync"], None)).contains("published 1 broadcast(s)"));
    assert!(!ok(&desk(&keyring, room.path(), &["team", "sync"], None)).contains("published"), "nothing twice");
    let page = runtime.block_on(async {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let signed = http.post(format!("{url}/sign-in")).form(&[("email", "boss@xinghuo.cn"), ("password", "星火的新密码-2026")]).send().await.unwrap();
        let cookie = signed.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        http.get(format!("{url}/team")).header("cookie", cookie).send().await.unwrap().text().await.unwrap()
    });
    assert!(page.contains("未开播</span> 3号直播间 晚场") && page.contains("山区土蜂蜜 500g") && page.contains("zhubo@xinghuo.cn"), "{page}");
    assert!(page.contains("<h3 class=\"room\" data-room=\"3号直播间\">"), "the page groups the broadcast under its room: {page}");
    // Taken out of the room, the desk's next change is not published into it (the sync says so).
    ok(&desk(&keyring, office.path(), &["team", "rooms", "unassign", "3号直播间", "zhubo@xinghuo.cn"], None));
    let mut room_store = store(room.path());
    room_store.update_broadcast(tonight.id, &anchordesk_core::BroadcastDraft { title: "3号直播间 晚场（改）".into(), ..draft.clone() }).unwrap();
    drop(room_store);
    let after = desk(&keyring, room.path(), &["team", "sync"], None);
    assert!(String::from_utf8_lossy(&after.stderr).contains("broadcasts were not published") && String::from_utf8_lossy(&after.stderr).contains("not in"), "{}", String::from_utf8_lossy(&after.stderr));
    runtime.block_on(server.shutdown()).unwrap();
}

#[test]
fn a_finished_broadcast_takes_its_review_to_the_team_page() {
    use anchordesk_core::room::{RoomEvent, RoomEventKind};
    use anchordesk_core::{plan, testkit};
    let TeamServer { runtime, server, url, org, _pg, .. } = TeamServer::start("星火MCN", "boss@xinghuo.cn", None);
    let keyring = Keyring::start();
    let room = tempfile::tempdir().unwrap();
    ok(&desk(&keyring, room.path(), &["team", "join", &url, "--email", "boss@xinghuo.cn", "--password-stdin"], Some(&format!("{}\n星火的新密码-2026\n", org.one_time_password))));

    // A rehearsal on the desk: viewers come and go, two orders; it ends.
    let mut desk_store = store(room.path());
    desk_store.seed_sample_catalog_once().unwrap();
    let spec = testkit::ReadyBroadcast { title: "周五晚场", template: "course", skus: &["SAMPLE-ORANGE-5KG"], live_price: "39.90", operator: "场控", ..Default::default() };
    let (broadcast, _) = testkit::ready_broadcast(&mut desk_store, &spec);
    let env = plan::CheckEnv::for_data_dir(room.path());
    let recording = room.path().join("rehearsal.mp4");
    std::fs::write(&recording, b"the recording's bytes, hashed by the archive").unwrap();
    let session = desk_store.go_live(broadcast.id, &env, &recording.display().to_string(), true).unwrap();
    // On air it is published with its state only; the review comes when it ends.
    drop(desk_store);
    ok(&desk(&keyring, room.path(), &["team", "sync"], None));
    let started = anchordesk_core::live::unix_ms(&session.started_at).unwrap();
    let viewers = |seq: i64, second: i64, online: i32| RoomEvent { seq, at_ms: started + second * 1000, kind: Some(RoomEventKind::Viewers), online: Some(online), quantity: Some(1), ..Default::default() };
    let order = |seq: i64, second: i64| RoomEvent { seq, at_ms: started + second * 1000, kind: Some(RoomEventKind::Order), sku: Some("SAMPLE-ORANGE-5KG".into()), quantity: Some(1), amount_fen: Some(3990), ..Default::default() };
    let mut desk_store = store(room.path());
    desk_store.keep_room_events(session.id, &[viewers(1, 1, 12), viewers(2, 60, 85), order(3, 70), viewers(4, 120, 140), order(5, 130), viewers(6, 300, 40)]).unwrap();
    desk_store.end_session(session.id, &recording.display().to_string(), Some(310_000)).unwrap();
    // Archived as the desk does after a broadcast: the index (not the file) goes to the team.
    let report = desk_store.report(broadcast.id, &env, None).unwrap();
    let desk_checklist = desk_store.checklist(broadcast.id).unwrap();
    let archived = anchordesk_core::archive::archive_session(&std::sync::Mutex::new(desk_store), &room.path().join("archive"), &report, env.today, 3).unwrap();
    assert!(ok(&desk(&keyring, room.path(), &["team", "sync"], None)).contains("published 1 broadcast(s)"), "the ended session changes what is published");

    let page = runtime.block_on(async {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let signed = http.post(format!("{url}/sign-in")).form(&[("email", "boss@xinghuo.cn"), ("password", "星火的新密码-2026")]).send().await.unwrap();
        let cookie = signed.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        http.get(format!("{url}/team")).header("cookie", cookie).send().await.unwrap().text().await.unwrap()
    });
    let review = &page[page.find("<div class=\"report\">").unwrap_or_else(|| panic!("no review on the page: {page}"))..];
    assert!(review.contains("复盘（彩排）") && review.contains("5 分钟") && review.contains("2 单 ¥79.80") && review.contains("峰值在线 140"), "{review}");
    let points = review.split("points=\"").nth(1).unwrap().split('"').next().unwrap();
    assert_eq!(points.split(' ').count(), 4, "one point per viewer count: {points}");
    assert!(points.starts_with("1.0,") && points.contains("300.0,"), "the curve spans the session: {points}");
    assert!(review.contains("橙"), "the product's own line: {review}");
    let index = &page[page.find("<details class=\"archive\"").unwrap_or_else(|| panic!("no archive index on the page: {page}"))..];
    assert!(index.contains(&format!("保留至 {}", archived.keep_until)) && index.contains(&archived.files[0].sha256), "{index}");
    // The checklist, with who ticked each item the desk's people tick (all of them, by 场控).
    let checklist = &page[page.find("<details class=\"checklist\"").unwrap_or_else(|| panic!("no checklist on the page: {page}"))..];
    let checklist = &checklist[..checklist.find("</details>").unwrap()];
    let manual = desk_checklist.iter().filter(|c| c.auto_check.is_none()).count();
    assert!(checklist.contains(&format!("已勾选 {manual}/{manual}")), "{checklist}");
    assert_eq!(checklist.matches("<li class=\"done").count(), manual, "{checklist}");
    assert!(checklist.contains("✓ ") && checklist.contains("场控 · "), "who ticked it is named: {checklist}");
    runtime.block_on(server.shutdown()).unwrap();
}

#[test]
fn a_class_rehearsal_is_observed_and_graded_by_the_team_server() {
    let TeamServer { runtime, server, url, org, _pg, .. } = TeamServer::start("农林职业学院", "dean@nlzy.edu.cn", None);
    let keyring = Keyring::start();
    let (teacher, student) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let dean = ("dean@nlzy.edu.cn", "学院管理员的密码-2026");
    ok(&desk(&keyring, teacher.path(), &["team", "join", &url, "--email", dean.0, "--password-stdin"], Some(&format!("{}\n{}\n", org.one_time_password, dean.1))));
    let teacher_pw = add_member(&runtime, &url, org.org_id, dean, "wang@nlzy.edu.cn", "teacher");
    let student_pw = add_member(&runtime, &url, org.org_id, dean, "chen@nlzy.edu.cn", "student");
    ok(&desk(&keyring, teacher.path(), &["team", "join", &url, "--email", "wang@nlzy.edu.cn", "--password-stdin"], Some(&format!("{teacher_pw}\n王老师的密码-2026\n"))));
    ok(&desk(&keyring, teacher.path(), &["team", "rooms", "add", "电商2班", "--class"], None));
    ok(&desk(&keyring, teacher.path(), &["team", "rooms", "assign", "电商2班", "chen@nlzy.edu.cn"], None));
    ok(&desk(&keyring, teacher.path(), &["team", "room", "电商2班"], None));
    // The teacher's own scenario: the shipped oranges with the events seconds apart.
    let scenario = include_str!("../../../assets/scenarios/orange-organic.toml")
        .replace("id = \"orange-organic\"", "id = \"orange-quick\"")
        .replace("at_seconds = 90", "at_seconds = 1")
        .replace("at_seconds = 200", "at_seconds = 2")
        .replace("at_seconds = 300", "at_seconds = 3");
    let file = teacher.path().join("orange-quick.toml");
    std::fs::write(&file, &scenario).unwrap();
    let set = ok(&desk(&keyring, teacher.path(), &["team", "course", "--file", file.to_str().unwrap()], None));
    assert!(set.contains("orange-quick") && set.contains("the teacher's own scenario"), "{set}");

    // The student's desk: in the class, its platform the class's practice shop.
    ok(&desk(&keyring, student.path(), &["team", "join", &url, "--email", "chen@nlzy.edu.cn", "--password-stdin"], Some(&format!("{student_pw}\n陈同学的密码-2026\n"))));
    ok(&desk(&keyring, student.path(), &["team", "room", "电商2班"], None));
    let shop = ok(&desk(&keyring, student.path(), &["team", "practice-shop"], None));
    assert!(shop.contains(&format!("platform: {url}/classes/")) && shop.contains("orange-quick"), "{shop}");
    assert!(student.path().join("scenarios/orange-quick.toml").exists(), "{shop}");
    let settings = store(student.path()).setting("platform").unwrap().unwrap();
    assert!(!settings.contains("secret"), "the shop's secret is in the keyring: {settings}");

    // A rehearsal from the command line, through the class's shop.
    let prepared = ok(&desk(&keyring, student.path(), &["course", "rehearse", "orange-quick", "--student-id", "2024031", "--student-name", "陈同学"], None));
    let broadcast = anchordesk_core::BroadcastId(prepared.trim().parse().unwrap());
    {
        let mut store = store(student.path());
        for item in store.checklist(broadcast).unwrap() {
            if item.auto_check.is_none() {
                store.set_checklist_done(item.id, true, "陈同学").unwrap();
            }
        }
    }
    let run = desk(&keyring, student.path(), &["live", "run", &broadcast.0.to_string(), "--rehearsal", "--each", "3"], None);
    let said = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success() && said.contains("a class's practice shop"), "{said}");
    assert_eq!(store(student.path()).outbox_counts().unwrap().pending, 0, "the end reached the shop: {said}");
    let graded = ok(&desk(&keyring, student.path(), &["course", "attempt", &broadcast.0.to_string()], None));
    let own_total = serde_json::from_str::<serde_json::Value>(&graded).unwrap()["total"].as_f64().unwrap();
    let attempt = store(student.path()).course_attempt(broadcast).unwrap().unwrap();
    let facts = attempt.facts.unwrap();
    let fired: Vec<&str> = facts["events"].as_array().unwrap().iter().map(|e| e["eventId"].as_str().unwrap()).collect();
    assert!(fired.contains(&"organic-question") && fired.contains(&"late-delivery"), "the desk saw the shop's scripted comments: {facts}");

    // Handed in at the sync; the shop's record agrees; the teacher's table has it.
    let synced = desk(&keyring, student.path(), &["team", "sync"], None);
    assert!(ok(&synced).contains("handed in 1 graded rehearsal"), "{}", String::from_utf8_lossy(&synced.stderr));
    let grades = desk(&keyring, teacher.path(), &["team", "grades", "--json"], None);
    let table: serde_json::Value = serde_json::from_str(&ok(&grades)).unwrap();
    let row = &table["attempts"][0];
    assert_eq!(row["email"], "chen@nlzy.edu.cn", "{table}");
    assert_eq!(row["disagreements"], serde_json::json!([]), "{table}");
    // The server grades the audience as the shop counted it; the desk pulls the room once a
    // second and may have seen a little less (crates/server/src/course.rs). So the grades
    // agree except for what the desk did not see of the audience, which only adds.
    let own: serde_json::Value = serde_json::from_str(&graded).unwrap();
    let audience = own["criteria"].as_array().unwrap().iter().find(|c| c["id"] == "audience").unwrap();
    let unseen_at_most = audience["weight"].as_f64().unwrap() - audience["points"].as_f64().unwrap();
    let gap = row["total"].as_f64().unwrap() - own_total;
    assert!(gap > -1e-9 && gap <= unseen_at_most + 1e-9, "the server's grade of honest facts is the desk's ({own_total}) but for the audience: {table}");
    assert!(!ok(&desk(&keyring, student.path(), &["team", "sync"], None)).contains("handed in"), "nothing twice");

    // The student edits the kept facts to claim an answer to the late delivery: the server
    // marks it, names the fact, and grades from its record.
    let mut forged = facts.clone();
    let late = forged["events"].as_array_mut().unwrap().iter_mut().find(|e| e["eventId"] == "late-delivery").unwrap();
    let at = late["firedAtMs"].as_i64().unwrap() + 5_000;
    late["responses"] = serde_json::json!([{ "atMs": at, "text": "已帮您查了订单号，今天补发", "lintErrorCount": 0 }]);
    store(student.path()).save_course_grade(broadcast, &forged, &attempt.graded.unwrap(), 100.0).unwrap();
    let synced = desk(&keyring, student.path(), &["team", "sync"], None);
    assert!(String::from_utf8_lossy(&synced.stderr).contains("differ from the practice shop's record"), "{}", String::from_utf8_lossy(&synced.stderr));
    let grades = desk(&keyring, teacher.path(), &["team", "grades"], None);
    let text = String::from_utf8_lossy(&grades.stdout).into_owned();
    assert_eq!(grades.status.code(), Some(1), "{text}");
    // Graded from the server's record: the total of the honest hand-in, not the forged 100.
    let server_total = row["total"].as_f64().unwrap();
    assert!(text.contains("chen@nlzy.edu.cn") && text.contains("events.late-delivery.responses") && text.contains(&format!("{server_total:.1}")), "{text}");
    assert!(server_total >= 100.0 - 1e-9 || !text.contains("100.0"), "the forged grade is not the one shown: {text}");
    runtime.block_on(server.shutdown()).unwrap();
}

#[test]
fn a_broadcast_planned_on_the_web_page_is_run_from_a_desk() {
    let TeamServer { runtime, server, url, org, _pg, .. } = TeamServer::start("星火MCN", "boss@xinghuo.cn", None);
    let keyring = Keyring::start();
    let (office, room) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let boss = ("boss@xinghuo.cn", "星火的新密码-2026");
    ok(&desk(&keyring, office.path(), &["team", "join", &url, "--email", boss.0, "--password-stdin"], Some(&format!("{}\n{}\n", org.one_time_password, boss.1))));
    let draft = ProductDraft { sku: "ORANGE-5KG".into(), name: "赣南脐橙 5kg".into(), price: Fen(5990), stock: 100, ..ProductDraft::default() };
    store(office.path()).create_product(&draft).unwrap();
    ok(&desk(&keyring, office.path(), &["team", "sync"], None));
    ok(&desk(&keyring, office.path(), &["team", "rooms", "add", "3号直播间"], None));
    let anchor_password = add_member(&runtime, &url, org.org_id, boss, "zhubo@xinghuo.cn", "anchor");
    ok(&desk(&keyring, office.path(), &["team", "rooms", "assign", "3号直播间", "zhubo@xinghuo.cn"], None));
    ok(&desk(&keyring, room.path(), &["team", "join", &url, "--email", "zhubo@xinghuo.cn", "--password-stdin"], Some(&format!("{anchor_password}\n主播自己的密码-2026\n"))));
    ok(&desk(&keyring, room.path(), &["team", "sync"], None));

    // The 运营 plans tonight's broadcast for room 3 on the web page (a signed-in form).
    let (page_before, waiting) = runtime.block_on(async {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let session: serde_json::Value = http.post(format!("{url}/api/v1/sign-in")).json(&serde_json::json!({ "email": boss.0, "password": boss.1 })).send().await.unwrap().json().await.unwrap();
        let cookie = format!("anchordesk_session={}", session["token"].as_str().unwrap());
        let rooms: serde_json::Value = http.get(format!("{url}/api/v1/orgs/{}/rooms", org.org_id)).header("cookie", &cookie).bearer_auth(session["token"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
        let room_id = rooms[0]["id"].to_string();
        let form = [("title", "今晚脐橙专场"), ("start", "2026-12-08T19:30"), ("room", room_id.as_str()), ("template", "farmer"), ("contact", "客服电话 0797-1234567"), ("sku", "ORANGE-5KG"), ("price:ORANGE-5KG", "49.90")];
        let bad = http.post(format!("{url}/plan")).header("cookie", &cookie).form(&[("title", "x"), ("start", "tonight"), ("sku", "ORANGE-5KG")]).send().await.unwrap();
        assert_eq!(bad.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        let planned = http.post(format!("{url}/plan")).header("cookie", &cookie).form(&form).send().await.unwrap();
        assert_eq!(planned.status(), reqwest::StatusCode::SEE_OTHER);
        let page = http.get(format!("{url}/team")).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
        let waiting: serde_json::Value = http.get(format!("{url}/api/v1/orgs/{}/plans", org.org_id)).bearer_auth(session["token"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
        (page, waiting)
    });
    assert!(page_before.contains("等待工作台领取") && page_before.contains("今晚脐橙专场"), "{page_before}");
    assert_eq!(waiting.as_array().unwrap().len(), 1, "{waiting}");

    // The office's desk works for no room: it does not take room 3's plan.
    assert!(!ok(&desk(&keyring, office.path(), &["team", "sync"], None)).contains("planned"));
    // Room 3's desk picks its room and takes it at the next sync, from the farmer template,
    // the oranges at the planned live price.
    ok(&desk(&keyring, room.path(), &["team", "room", "3号直播间"], None));
    let synced = ok(&desk(&keyring, room.path(), &["team", "sync"], None));
    assert!(synced.contains("took 1 broadcast(s) planned"), "{synced}");
    assert!(!ok(&desk(&keyring, room.path(), &["team", "sync"], None)).contains("planned"), "taken once");
    // The office's desk now works for room 3 too: the plan is taken, it makes nothing.
    ok(&desk(&keyring, office.path(), &["team", "room", "3号直播间"], None));
    assert!(!ok(&desk(&keyring, office.path(), &["team", "sync"], None)).contains("planned"), "one desk takes a plan");
    // Nobody else can take it off the list by naming it in a broadcast; a plan still waiting
    // can be withdrawn from the page.
    let waiting_after = runtime.block_on(async {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let session: serde_json::Value = http.post(format!("{url}/api/v1/sign-in")).json(&serde_json::json!({ "email": boss.0, "password": boss.1 })).send().await.unwrap().json().await.unwrap();
        let token = session["token"].as_str().unwrap().to_string();
        let cookie = format!("anchordesk_session={token}");
        let key = waiting[0]["key"].as_str().unwrap();
        let body = serde_json::json!({ "body": { "broadcast": { "title": "冒名" }, "plan": key } });
        let named = http.put(format!("{url}/api/v1/orgs/{}/broadcasts/other-1", org.org_id)).bearer_auth(&token).json(&body).send().await.unwrap();
        assert_eq!(named.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        let rooms: serde_json::Value = http.get(format!("{url}/api/v1/orgs/{}/rooms", org.org_id)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let room_id = rooms[0]["id"].to_string();
        let form = [("title", "撤回的场次"), ("start", "2026-12-09T19:30"), ("room", room_id.as_str()), ("template", ""), ("contact", ""), ("sku", "ORANGE-5KG"), ("price:ORANGE-5KG", "")];
        assert_eq!(http.post(format!("{url}/plan")).header("cookie", &cookie).form(&form).send().await.unwrap().status(), reqwest::StatusCode::SEE_OTHER);
        let waiting: serde_json::Value = http.get(format!("{url}/api/v1/orgs/{}/plans", org.org_id)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let key = waiting[0]["key"].as_str().unwrap().to_string();
        assert_eq!(http.post(format!("{url}/plan/withdraw")).header("cookie", &cookie).form(&[("key", key.as_str())]).send().await.unwrap().status(), reqwest::StatusCode::SEE_OTHER);
        let impossible = http.post(format!("{url}/plan")).header("cookie", &cookie).form(&[("title", "x"), ("start", "2026-02-30T19:30"), ("sku", "ORANGE-5KG")]).send().await.unwrap();
        assert_eq!(impossible.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY, "30 February is refused");
        http.get(format!("{url}/api/v1/orgs/{}/plans", org.org_id)).bearer_auth(&token).send().await.unwrap().json::<serde_json::Value>().await.unwrap()
    });
    assert_eq!(waiting_after, serde_json::json!([]), "withdrawn");
    assert!(!ok(&desk(&keyring, room.path(), &["team", "sync"], None)).contains("planned"));
    let made = store(room.path()).broadcasts().unwrap().into_iter().find(|b| b.draft.title == "今晚脐橙专场").expect("the planned broadcast is on the desk");
    assert_eq!(made.draft.planned_start, "2026-12-08T19:30");
    let lineup = store(room.path()).lineup(made.id).unwrap();
    assert_eq!((lineup.len(), lineup[0].product_sku.as_str(), lineup[0].terms.live_price), (1, "ORANGE-5KG", Fen(4990)));
    assert!(!store(room.path()).run_of_show(made.id).unwrap().segments.is_empty(), "the template's run-of-show");

    // It goes on air from the desk; the page shows it done, planned on the web, not waiting.
    {
        let mut store = store(room.path());
        for item in store.checklist(made.id).unwrap() {
            if item.auto_check.is_none() {
                store.set_checklist_done(item.id, true, "主播").unwrap();
            }
        }
    }
    let run = desk(&keyring, room.path(), &["live", "run", &made.id.0.to_string(), "--rehearsal", "--each", "1"], None);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    ok(&desk(&keyring, room.path(), &["team", "sync"], None));
    let page = runtime.block_on(async {
        let http = reqwest::Client::new();
        let session: serde_json::Value = http.post(format!("{url}/api/v1/sign-in")).json(&serde_json::json!({ "email": boss.0, "password": boss.1 })).send().await.unwrap().json().await.unwrap();
        http.get(format!("{url}/team")).header("cookie", format!("anchordesk_session={}", session["token"].as_str().unwrap())).send().await.unwrap().text().await.unwrap()
    });
    assert!(page.contains("网页排期") && page.contains("今晚脐橙专场") && page.contains("已播"), "{page}");
    assert!(!page.contains("等待工作台领取"), "the plan was taken: {page}");
    assert_eq!(page.matches("今晚脐橙专场").count(), 1, "one broadcast from the plan: {page}");
    runtime.block_on(server.shutdown()).unwrap();
}

#[test]
fn a_team_template_reaches_every_desk_and_a_web_plan_can_use_it() {
    let TeamServer { runtime, server, url, org, _pg, .. } = TeamServer::start("星火MCN", "boss@xinghuo.cn", None);
    let keyring = Keyring::start();
    let (office, room) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let boss = ("boss@xinghuo.cn", "星火的新密码-2026");
    ok(&desk(&keyring, office.path(), &["team", "join", &url, "--email", boss.0, "--password-stdin"], Some(&format!("{}\n{}\n", org.one_time_password, boss.1))));
    let anchor_password = add_member(&runtime, &url, org.org_id, boss, "zhubo@xinghuo.cn", "anchor");
    ok(&desk(&keyring, room.path(), &["team", "join", &url, "--email", "zhubo@xinghuo.cn", "--password-stdin"], Some(&format!("{anchor_password}\n主播自己的密码-2026\n"))));

    // The office shapes a broadcast its way (an extra segment, an extra checklist item) and
    // shares it as the team's template.
    let made = ok(&desk(&keyring, office.path(), &["broadcasts", "new", "--template", "mcn", "--title", "星火晚场样板", "--start", "2026-12-08T20:00"], None));
    let broadcast = anchordesk_core::BroadcastId(made.trim().parse().unwrap());
    {
        let mut store = store(office.path());
        let segment = anchordesk_core::plan::SegmentDraft { kind: anchordesk_core::plan::SegmentKind::Deal, title: "抽奖：关注直播间送试吃装".into(), title_en: "Giveaway".into(), planned_minutes: 5, person: anchordesk_core::plan::Person::Anchor, talking_points: String::new(), cues: String::new() };
        store.add_segment(broadcast, &segment).unwrap();
    }
    let refused = desk(&keyring, room.path(), &["team", "template", "share", "night", "--from-broadcast", "1"], None);
    assert!(!refused.status.success(), "an anchor's desk may not share templates");
    let shared = ok(&desk(&keyring, office.path(), &["team", "template", "share", "xinghuo-night", "--from-broadcast", &broadcast.0.to_string(), "--title", "星火晚场"], None));
    assert!(shared.contains("shared template xinghuo-night"), "{shared}");
    let bad = desk(&keyring, office.path(), &["team", "template", "share", "mcn", "--from-broadcast", &broadcast.0.to_string()], None);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("built-in"), "{}", String::from_utf8_lossy(&bad.stderr));

    // The room's desk takes it at its sync and lists it beside the built-in ones.
    let synced = ok(&desk(&keyring, room.path(), &["team", "sync"], None));
    assert!(synced.contains("took 1 team template"), "{synced}");
    let listed = ok(&desk(&keyring, room.path(), &["templates", "list"], None));
    assert!(listed.contains("xinghuo-night") && listed.contains("星火晚场"), "{listed}");
    let mine = ok(&desk(&keyring, room.path(), &["broadcasts", "new", "--template", "xinghuo-night", "--title", "3号间周三晚场", "--start", "2026-12-09T20:00"], None));
    let show = store(room.path()).run_of_show(anchordesk_core::BroadcastId(mine.trim().parse().unwrap())).unwrap();
    assert!(show.segments.iter().any(|s| s.segment.draft.title == "抽奖：关注直播间送试吃装"), "the team's segment is in the run-of-show");

    // The web page offers it for planning.
    let page = runtime.block_on(async {
        let http = reqwest::Client::new();
        let session: serde_json::Value = http.post(format!("{url}/api/v1/sign-in")).json(&serde_json::json!({ "email": boss.0, "password": boss.1 })).send().await.unwrap().json().await.unwrap();
        http.get(format!("{url}/team")).header("cookie", format!("anchordesk_session={}", session["token"].as_str().unwrap())).send().await.unwrap().text().await.unwrap()
    });
    assert!(page.contains("团队模板") && page.contains("<code>xinghuo-night</code>") && page.contains("星火晚场"), "{page}");

    // Withdrawn: gone from every desk at its next sync.
    ok(&desk(&keyring, office.path(), &["team", "template", "withdraw", "xinghuo-night"], None));
    assert!(ok(&desk(&keyring, room.path(), &["team", "sync"], None)).contains("took 1 team template"));
    assert!(!ok(&desk(&keyring, room.path(), &["templates", "list"], None)).contains("xinghuo-night"));
    runtime.block_on(server.shutdown()).unwrap();
}
