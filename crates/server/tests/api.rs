//! The team server against a real PostgreSQL: organisations keep to themselves, roles decide
//! who may change the catalog, sessions end, writes are idempotent, the change feed pages by
//! sequence, and a database migrated by a newer server is refused.

use anchordesk_server::{Config, ServerError, admin, db};
use anchordesk_server::testkit::TestPostgres;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Team {
    url: String,
    http: reqwest::Client,
}

impl Team {
    async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.http.post(format!("{}/api/v1/sign-in", self.url)).json(&json!({ "email": email, "password": password })).send().await.unwrap()
    }

    async fn token(&self, email: &str, password: &str) -> (String, i64) {
        let answer: Value = self.sign_in(email, password).await.json().await.unwrap();
        (answer["token"].as_str().expect("a token").to_string(), answer["member"]["orgId"].as_i64().unwrap())
    }

    /// Signs in with a one-time password and chooses one's own (which nothing else opens
    /// before); the session goes on.
    async fn first_sign_in(&self, email: &str, one_time: &str) -> (String, i64) {
        let (token, org) = self.token(email, one_time).await;
        let before = self.get(&token, &format!("/api/v1/orgs/{org}/products")).send().await.unwrap();
        assert_eq!(before.status(), StatusCode::FORBIDDEN, "a one-time password opens only the password change");
        let changed = self.http.put(format!("{}/api/v1/password", self.url)).bearer_auth(&token).json(&json!({ "current": one_time, "new": format!("own password of {email}") })).send().await.unwrap();
        assert_eq!(changed.status(), StatusCode::NO_CONTENT);
        (token, org)
    }

    fn get(&self, token: &str, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.url)).bearer_auth(token)
    }

    fn put(&self, token: &str, path: &str, body: Value) -> reqwest::RequestBuilder {
        self.http.put(format!("{}{path}", self.url)).bearer_auth(token).json(&body)
    }

    async fn add_member(&self, owner: &str, org: i64, email: &str, role: &str) -> String {
        let answer: Value = self.http.post(format!("{}/api/v1/orgs/{org}/members", self.url)).bearer_auth(owner).json(&json!({ "email": email, "role": role })).send().await.unwrap().json().await.unwrap();
        answer["oneTimePassword"].as_str().unwrap_or_else(|| panic!("{answer}")).to_string()
    }
}

async fn team(pg: &TestPostgres) -> (anchordesk_server::RunningServer, Team) {
    let server = anchordesk_server::start(Config { database_url: pg.url(), listen: "127.0.0.1:0".parse().unwrap(), behind_proxy: false, tls: None, data_dir: None }).await.unwrap();
    let team = Team { url: server.base_url(), http: reqwest::Client::new() };
    (server, team)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisations_keep_to_themselves_and_roles_decide_who_changes_the_catalog() {
    let pg = TestPostgres::start();
    let (server, team) = team(&pg).await;
    let pool = db::connect(&pg.url()).unwrap();
    let mcn = admin::create_org(&pool, "星火MCN", "Boss@xinghuo.cn").await.unwrap();
    let county = admin::create_org(&pool, "青山县商务局", "chief@qingshan.gov.cn").await.unwrap();
    assert!(matches!(admin::create_org(&pool, "again", "boss@xinghuo.cn").await, Err(ServerError::Invalid(_))), "an email belongs to one member");

    assert_eq!(team.sign_in("boss@xinghuo.cn", "wrong password").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(team.sign_in("nobody@xinghuo.cn", "whatever").await.status(), StatusCode::UNAUTHORIZED);
    let (boss, org) = team.first_sign_in("BOSS@xinghuo.cn ", &mcn.one_time_password).await;
    assert_eq!(org, mcn.org_id);
    let me: Value = team.get(&boss, "/api/v1/me").send().await.unwrap().json().await.unwrap();
    assert_eq!((me["role"].as_str(), me["orgName"].as_str(), me["mustChangePassword"].as_bool()), (Some("owner"), Some("星火MCN"), Some(false)));

    // The owner adds a 运营 and an anchor; the operator edits the catalog, the anchor may not.
    let operator_pw = team.add_member(&boss, org, "yunying@xinghuo.cn", "operator").await;
    let anchor_pw = team.add_member(&boss, org, "zhubo@xinghuo.cn", "anchor").await;
    let (operator, _) = team.first_sign_in("yunying@xinghuo.cn", &operator_pw).await;
    let (anchor, _) = team.first_sign_in("zhubo@xinghuo.cn", &anchor_pw).await;
    let orange = json!({ "body": { "name": "赣南脐橙 5kg", "priceFen": 5990 } });
    let written = team.put(&operator, &format!("/api/v1/orgs/{org}/products/ORANGE-5KG"), orange.clone()).send().await.unwrap();
    assert_eq!(written.status(), StatusCode::OK);
    let refused = team.put(&anchor, &format!("/api/v1/orgs/{org}/products/ORANGE-5KG"), orange.clone()).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(team.http.post(format!("{}/api/v1/orgs/{org}/members", team.url)).bearer_auth(&anchor).json(&json!({"email": "x@y.z", "role": "owner"})).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let catalog: Value = team.get(&anchor, &format!("/api/v1/orgs/{org}/products")).send().await.unwrap().json().await.unwrap();
    assert_eq!(catalog[0]["body"]["name"], "赣南脐橙 5kg", "every member reads the catalog");

    // Another organisation's owner sees nothing of it: 404, not 403.
    let (chief, chief_org) = team.first_sign_in("chief@qingshan.gov.cn", &county.one_time_password).await;
    assert_ne!(chief_org, org);
    for path in [format!("/api/v1/orgs/{org}/products"), format!("/api/v1/orgs/{org}/changes"), format!("/api/v1/orgs/{org}/members"), format!("/api/v1/orgs/{org}/audit")] {
        assert_eq!(team.get(&chief, &path).send().await.unwrap().status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(team.put(&chief, &format!("/api/v1/orgs/{org}/products/ORANGE-5KG"), orange).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    // No token, a made-up token: 401 everywhere.
    assert_eq!(team.http.get(format!("{}/api/v1/orgs/{org}/products", team.url)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(team.get("not-a-token", "/api/v1/me").send().await.unwrap().status(), StatusCode::UNAUTHORIZED);

    // The audit log names who did what.
    let audit: Value = team.get(&boss, &format!("/api/v1/orgs/{org}/audit")).send().await.unwrap().json().await.unwrap();
    let lines: Vec<String> = audit.as_array().unwrap().iter().map(|a| format!("{} {} {}", a["by"], a["action"], a["target"])).collect();
    assert!(lines.iter().any(|l| l.contains("yunying@xinghuo.cn") && l.contains("put-product") && l.contains("ORANGE-5KG")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("add-member") && l.contains("zhubo@xinghuo.cn (anchor)")), "{lines:?}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_idempotent_the_feed_pages_by_sequence_and_sessions_end() {
    let pg = TestPostgres::start();
    let (server, team) = team(&pg).await;
    let pool = db::connect(&pg.url()).unwrap();
    let college = admin::create_org(&pool, "职业技术学院电商系", "teacher@college.edu.cn").await.unwrap();
    let (teacher, org) = team.first_sign_in("teacher@college.edu.cn", &college.one_time_password).await;
    let own = "own password of teacher@college.edu.cn";
    let path = format!("/api/v1/orgs/{org}/products/HONEY-500G");

    // The same write sent twice (a retry after a lost answer) is one change.
    let honey = json!({ "body": { "name": "土蜂蜜 500g" } });
    let first: Value = team.put(&teacher, &path, honey.clone()).header("Idempotency-Key", "desk-1-op-7").send().await.unwrap().json().await.unwrap();
    let again: Value = team.put(&teacher, &path, honey.clone()).header("Idempotency-Key", "desk-1-op-7").send().await.unwrap().json().await.unwrap();
    assert_eq!(first, again);
    // The same key for another product is a mistake, refused, not answered with the first.
    let misused = team.put(&teacher, &format!("/api/v1/orgs/{org}/products/OTHER"), honey).header("Idempotency-Key", "desk-1-op-7").send().await.unwrap();
    assert_eq!(misused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(first["version"], 1);

    // Two desks edit the same product: the later write wins by the server's order; the one
    // that had not seen the other's gets back the text it replaced.
    let a: Value = team.put(&teacher, &path, json!({ "body": { "name": "土蜂蜜 500g 玻璃瓶" }, "baseVersion": 1 })).send().await.unwrap().json().await.unwrap();
    let b: Value = team.put(&teacher, &path, json!({ "body": { "name": "山区土蜂蜜 500g" }, "baseVersion": 1 })).send().await.unwrap().json().await.unwrap();
    assert!(a["replaced"].is_null());
    assert_eq!(b["replaced"]["name"], "土蜂蜜 500g 玻璃瓶");
    assert_eq!(b["version"], 3);

    // The feed: every change once, in order, from a cursor.
    let page: Value = team.get(&teacher, &format!("/api/v1/orgs/{org}/changes?after=0&limit=2")).send().await.unwrap().json().await.unwrap();
    let seqs: Vec<i64> = page["changes"].as_array().unwrap().iter().map(|c| c["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs.len(), 2);
    let rest: Value = team.get(&teacher, &format!("/api/v1/orgs/{org}/changes?after={}", page["next"])).send().await.unwrap().json().await.unwrap();
    let versions: Vec<i64> = page["changes"].as_array().unwrap().iter().chain(rest["changes"].as_array().unwrap()).map(|c| c["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, vec![1, 2, 3]);
    let deleted = team.http.delete(format!("{}{path}", team.url)).bearer_auth(&teacher).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    let last: Value = team.get(&teacher, &format!("/api/v1/orgs/{org}/changes?after={}", rest["next"])).send().await.unwrap().json().await.unwrap();
    assert!(last["changes"][0]["body"].is_null(), "a deletion is a change with no body");
    let catalog: Value = team.get(&teacher, &format!("/api/v1/orgs/{org}/products")).send().await.unwrap().json().await.unwrap();
    assert_eq!(catalog, json!([]));

    // A new password ends the other sessions; signing out ends this one.
    let (other, _) = team.token("teacher@college.edu.cn", own).await;
    let changed = team.http.put(format!("{}/api/v1/password", team.url)).bearer_auth(&teacher).json(&json!({ "current": own, "new": "课堂演练2026年春季班" })).send().await.unwrap();
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    assert_eq!(team.get(&other, "/api/v1/me").send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(team.get(&teacher, "/api/v1/me").send().await.unwrap().status(), StatusCode::OK);
    team.http.post(format!("{}/api/v1/sign-out", team.url)).bearer_auth(&teacher).send().await.unwrap();
    assert_eq!(team.get(&teacher, "/api/v1/me").send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_wrong_passwords_lock_a_member_out_and_plain_http_stays_on_loopback() {
    let pg = TestPostgres::start();
    let (server, team) = team(&pg).await;
    let pool = db::connect(&pg.url()).unwrap();
    let org = admin::create_org(&pool, "县域助农", "owner@county.cn").await.unwrap();
    for _ in 0..10 {
        assert_eq!(team.sign_in("owner@county.cn", "guess").await.status(), StatusCode::UNAUTHORIZED);
    }
    // Locked even with the right password, and answered like a wrong one (the answer does
    // not tell which emails exist).
    let locked = team.sign_in("owner@county.cn", &org.one_time_password).await;
    assert_eq!(locked.status(), StatusCode::UNAUTHORIZED);
    let unknown = team.sign_in("nobody@county.cn", "guess").await;
    assert_eq!(locked.json::<Value>().await.unwrap(), unknown.json::<Value>().await.unwrap());
    server.shutdown().await.unwrap();
    let outside = anchordesk_server::start(Config { database_url: pg.url(), listen: "0.0.0.0:0".parse().unwrap(), behind_proxy: false, tls: None, data_dir: None }).await;
    assert!(matches!(outside, Err(ServerError::PlainHttpOutsideLoopback(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_migrated_by_a_newer_server_is_refused_and_left_alone() {
    let pg = TestPostgres::start();
    let pool = db::connect(&pg.url()).unwrap();
    db::migrate(&pool, &pg.url()).await.unwrap();
    db::migrate(&pool, &pg.url()).await.unwrap();
    pg.psql("INSERT INTO schema_version (version) VALUES (99)");
    let refused = anchordesk_server::start(Config { database_url: pg.url(), listen: "127.0.0.1:0".parse().unwrap(), behind_proxy: false, tls: None, data_dir: None }).await;
    match refused {
        Err(ServerError::NewerSchema { found: 99, supported, .. }) => assert_eq!(supported, db::MIGRATIONS.len() as i64),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a newer database was accepted"),
    }
}

/// A database that accepts connections and never answers (a hung host, a full backlog) does
/// not hold a request for ever: the pool gives up after its connect limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_never_answers_does_not_hold_a_request_for_ever() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("postgres://anchordesk@{}/anchordesk", silent.local_addr().unwrap());
    let pool = db::connect(&url).unwrap();
    let started = std::time::Instant::now();
    let outcome = tokio::time::timeout(db::CONNECT_TIMEOUT * 4, pool.get()).await;
    let Ok(Err(err)) = outcome else { panic!("the pool must give up with an error, not wait (waited {:?})", started.elapsed()) };
    assert!(matches!(err, deadpool_postgres::PoolError::Timeout(_)), "{err}");
    drop(silent);
}

/// A server with an MCN (its owner signed in, with their own password) and a county bureau
/// (its owner likewise): `(server, team, mcn owner's token, mcn's id, bureau owner's token)`.
async fn two_orgs(pg: &TestPostgres) -> (anchordesk_server::RunningServer, Team, String, i64, String) {
    let (server, team) = team(pg).await;
    let pool = db::connect(&pg.url()).unwrap();
    let mcn = admin::create_org(&pool, "星火MCN", "boss@xinghuo.cn").await.unwrap();
    let other = admin::create_org(&pool, "青山县商务局", "chief@qingshan.gov.cn").await.unwrap();
    let (boss, org) = team.first_sign_in("boss@xinghuo.cn", &mcn.one_time_password).await;
    let (chief, _) = team.first_sign_in("chief@qingshan.gov.cn", &other.one_time_password).await;
    (server, team, boss, org, chief)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rule_pack_is_one_versioned_document_per_organisation_in_the_same_feed() {
    let pg = TestPostgres::start();
    let (server, team, boss, org, chief) = two_orgs(&pg).await;
    let anchor_pw = team.add_member(&boss, org, "zhubo@xinghuo.cn", "anchor").await;
    let (anchor, _) = team.first_sign_in("zhubo@xinghuo.cn", &anchor_pw).await;
    let path = format!("/api/v1/orgs/{org}/rule-pack");

    let none: Value = team.get(&anchor, &path).send().await.unwrap().json().await.unwrap();
    assert_eq!((none["version"].as_i64(), none["body"].is_null()), (Some(0), true), "no pack shared yet: {none}");
    let pack = json!({ "body": { "disabledRules": [], "words": [{ "pattern": "闭眼入", "category": "absolute", "severity": "warning", "message": "品牌禁用词", "rewrites": [] }], "lexiconWords": [] } });
    let first = team.put(&boss, &path, pack.clone()).header("Idempotency-Key", "pack-1").send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["version"], 1);
    // A retry with the same key changes nothing again.
    let again: Value = team.put(&boss, &path, pack.clone()).header("Idempotency-Key", "pack-1").send().await.unwrap().json().await.unwrap();
    assert_eq!((again["version"].clone(), again["seq"].clone()), (first["version"].clone(), first["seq"].clone()));
    // Every member reads it; an anchor may not change it; another organisation sees nothing.
    let read: Value = team.get(&anchor, &path).send().await.unwrap().json().await.unwrap();
    assert_eq!((read["version"].as_i64(), read["body"]["words"][0]["pattern"].as_str()), (Some(1), Some("闭眼入")));
    assert_eq!(team.put(&anchor, &path, pack.clone()).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(team.get(&chief, &path).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(team.put(&chief, &path, pack.clone()).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(team.put(&boss, &path, json!({ "body": "not an object" })).send().await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A writer who had not seen version 1 gets back the body it replaced.
    let stale: Value = team.put(&boss, &path, json!({ "body": { "disabledRules": ["zh.absolute.first"], "words": [], "lexiconWords": [] }, "baseVersion": 0 })).send().await.unwrap().json().await.unwrap();
    assert_eq!(stale["version"], 2);
    assert_eq!(stale["replaced"]["words"][0]["pattern"], "闭眼入", "{stale}");
    // Both writes are in the feed desks pull, after the products' entries, by sequence.
    let feed: Value = team.get(&anchor, &format!("/api/v1/orgs/{org}/changes?after=0")).send().await.unwrap().json().await.unwrap();
    let entries: Vec<(String, i64)> = feed["changes"].as_array().unwrap().iter().map(|c| (c["entity"].as_str().unwrap().to_string(), c["version"].as_i64().unwrap())).collect();
    assert_eq!(entries, vec![("rule-pack".to_string(), 1), ("rule-pack".to_string(), 2)]);
    let audit: Value = team.get(&boss, &format!("/api/v1/orgs/{org}/audit")).send().await.unwrap().json().await.unwrap();
    assert!(audit.as_array().unwrap().iter().any(|a| a["action"] == "put-rule-pack" && a["by"] == "boss@xinghuo.cn"), "{audit}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_member_publishes_their_desks_broadcasts_and_only_their_organisation_reads_them() {
    let pg = TestPostgres::start();
    let (server, team, boss, org, chief) = two_orgs(&pg).await;
    let controller_pw = team.add_member(&boss, org, "changkong@xinghuo.cn", "controller").await;
    let (controller, _) = team.first_sign_in("changkong@xinghuo.cn", &controller_pw).await;

    let tonight = json!({ "body": { "broadcast": { "title": "3号直播间 晚场", "plannedStart": "2026-12-07T20:00" }, "lineup": [{ "productName": "赣南脐橙 5kg" }], "runOfShow": { "plannedMinutes": 90 } } });
    let path = format!("/api/v1/orgs/{org}/broadcasts/desk-a-1");
    assert_eq!(team.put(&controller, &path, tonight.clone()).send().await.unwrap().status(), StatusCode::OK, "a 场控's desk publishes its broadcast");
    let untitled = json!({ "body": { "broadcast": { "title": " " } } });
    assert_eq!(team.put(&controller, &path, untitled).send().await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(team.put(&chief, &path, tonight.clone()).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(team.get(&chief, &format!("/api/v1/orgs/{org}/broadcasts")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let listed: Value = team.get(&boss, &format!("/api/v1/orgs/{org}/broadcasts")).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed[0]["body"]["broadcast"]["title"], "3号直播间 晚场");
    assert_eq!(listed[0]["publishedBy"], "changkong@xinghuo.cn");
    let feed: Value = team.get(&boss, &format!("/api/v1/orgs/{org}/changes?after=0")).send().await.unwrap().json().await.unwrap();
    assert!(feed["changes"].as_array().unwrap().iter().any(|c| c["entity"] == "broadcast" && c["key"].as_str().unwrap().ends_with(":desk-a-1")), "{feed}");
    // The owner publishing under the same key does not replace the 场控's: each member's
    // broadcasts are their own. Withdrawing removes it from the list.
    let owners = json!({ "body": { "broadcast": { "title": "老板的场次", "plannedStart": "2026-12-08T20:00" } } });
    assert_eq!(team.put(&boss, &path, owners).send().await.unwrap().status(), StatusCode::OK);
    let listed: Value = team.get(&boss, &format!("/api/v1/orgs/{org}/broadcasts")).send().await.unwrap().json().await.unwrap();
    let titles: Vec<&str> = listed.as_array().unwrap().iter().map(|b| b["body"]["broadcast"]["title"].as_str().unwrap()).collect();
    assert_eq!(titles, vec!["老板的场次", "3号直播间 晚场"]);
    assert_eq!(team.http.delete(format!("{}{path}", team.url)).bearer_auth(&controller).send().await.unwrap().status(), StatusCode::OK);
    let listed: Value = team.get(&boss, &format!("/api/v1/orgs/{org}/broadcasts")).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    // An idempotency key used for a product is not an answer for a broadcast.
    let product = team.put(&boss, &format!("/api/v1/orgs/{org}/products/SKU-1"), json!({ "body": { "name": "桃" } })).header("Idempotency-Key", "k-1").send().await.unwrap();
    assert_eq!(product.status(), StatusCode::OK);
    let reused = team.put(&boss, &format!("/api/v1/orgs/{org}/rule-pack"), json!({ "body": { "words": [] } })).header("Idempotency-Key", "k-1").send().await.unwrap();
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_and_classes_hold_members_and_broadcasts_are_published_into_them() {
    let pg = TestPostgres::start();
    let (server, team, boss, org, chief) = two_orgs(&pg).await;
    let post = |token: &str, body: Value| team.http.post(format!("{}/api/v1/orgs/{org}/rooms", team.url)).bearer_auth(token.to_string()).json(&body).send();
    let operator_pw = team.add_member(&boss, org, "yunying@xinghuo.cn", "operator").await;
    let (operator, _) = team.first_sign_in("yunying@xinghuo.cn", &operator_pw).await;
    let anchor_pw = team.add_member(&boss, org, "zhubo@xinghuo.cn", "anchor").await;
    let (anchor, _) = team.first_sign_in("zhubo@xinghuo.cn", &anchor_pw).await;
    let members: Value = team.get(&boss, &format!("/api/v1/orgs/{org}/members")).send().await.unwrap().json().await.unwrap();
    let anchor_id = members.as_array().unwrap().iter().find(|m| m["email"] == "zhubo@xinghuo.cn").unwrap()["id"].as_i64().unwrap();

    // An operator (运营) opens live rooms, not classes; an anchor opens neither; another
    // organisation cannot see or add any.
    let room3 = post(&operator, json!({ "name": "3号直播间", "kind": "room" })).await.unwrap();
    assert_eq!(room3.status(), StatusCode::CREATED);
    let room3: Value = room3.json().await.unwrap();
    let room3_id = room3["id"].as_i64().unwrap();
    assert_eq!(post(&operator, json!({ "name": "电商一班", "kind": "class" })).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(post(&anchor, json!({ "name": "我的直播间", "kind": "room" })).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(post(&boss, json!({ "name": "3号直播间", "kind": "room" })).await.unwrap().status(), StatusCode::CONFLICT);
    assert_eq!(post(&boss, json!({ "name": "x", "kind": "studio" })).await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(post(&chief, json!({ "name": "外人", "kind": "room" })).await.unwrap().status(), StatusCode::NOT_FOUND);
    let room7: Value = post(&boss, json!({ "name": "7号直播间", "kind": "room" })).await.unwrap().json().await.unwrap();

    // Only the anchor's room takes their broadcasts; the operator plans for any room.
    let membership = format!("/api/v1/orgs/{org}/rooms/{room3_id}/members/{anchor_id}");
    assert_eq!(team.http.put(format!("{}{membership}", team.url)).bearer_auth(&anchor).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(team.http.put(format!("{}{membership}", team.url)).bearer_auth(&chief).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(team.http.put(format!("{}{membership}", team.url)).bearer_auth(&operator).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    let rooms: Value = team.get(&anchor, &format!("/api/v1/orgs/{org}/rooms")).send().await.unwrap().json().await.unwrap();
    let mine: Vec<&str> = rooms.as_array().unwrap().iter().filter(|r| r["mine"] == true).map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(mine, vec!["3号直播间"], "{rooms}");
    assert_eq!(rooms.as_array().unwrap().len(), 2);
    assert_eq!(team.get(&chief, &format!("/api/v1/orgs/{org}/rooms")).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    let plan = |room: i64| json!({ "body": { "broadcast": { "title": "晚场", "plannedStart": "2026-12-07T20:00" }, "room": { "id": room, "name": "whatever the desk says" } } });
    let path = format!("/api/v1/orgs/{org}/broadcasts/desk-a-1");
    assert_eq!(team.put(&anchor, &path, plan(room3_id)).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(team.put(&anchor, &path, plan(room7["id"].as_i64().unwrap())).send().await.unwrap().status(), StatusCode::FORBIDDEN, "not the anchor's room");
    assert_eq!(team.put(&anchor, &path, plan(999_999)).send().await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(team.put(&operator, &format!("/api/v1/orgs/{org}/broadcasts/plan-7"), plan(room7["id"].as_i64().unwrap())).send().await.unwrap().status(), StatusCode::OK);
    let listed: Value = team.get(&boss, &format!("/api/v1/orgs/{org}/broadcasts")).send().await.unwrap().json().await.unwrap();
    let anchors = listed.as_array().unwrap().iter().find(|b| b["publishedBy"] == "zhubo@xinghuo.cn").unwrap();
    assert_eq!(anchors["body"]["room"], json!({ "id": room3_id, "name": "3号直播间", "kind": "room" }), "the server names the room");

    // Taken out of the room, the anchor can no longer publish into it; the audit says who did what.
    assert_eq!(team.http.delete(format!("{}{membership}", team.url)).bearer_auth(&operator).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(team.put(&anchor, &path, plan(room3_id)).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let audit: Value = team.get(&boss, &format!("/api/v1/orgs/{org}/audit")).send().await.unwrap().json().await.unwrap();
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    for action in ["add-room", "join-room", "leave-room"] {
        assert!(actions.contains(&action), "{action} in {audit}");
    }
    server.shutdown().await.unwrap();
}
