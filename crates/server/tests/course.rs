//! A class's rehearsal observed by the server: the teacher sets the scenario, a student's
//! desk rehearses against the class's practice shop served by the team server, and the
//! attempt handed in is graded from what the shop observed. Facts the desk makes up (a
//! reply never sent, orders never placed) and a script with the hard question taken out are
//! marked, naming the fact, and do not raise the grade.

use anchordesk_course::{AttemptFacts, EventKind, Rubric, Student, grade, model_attempt, parse_scenario};
use anchordesk_platform::{BroadcastCreate, BroadcastMetrics, BroadcastScript, Client, ClientConfig, EventPage, LiveEventKind, ProductUpsert, ReplyCreate, ScriptState, ScriptedEvent, ScriptedKind};
use anchordesk_server::testkit::TestPostgres;
use anchordesk_server::{Config, admin, db};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The shipped orange scenario, renamed and with its events a second apart.
fn quick_scenario() -> String {
    include_str!("../../../assets/scenarios/orange-organic.toml")
        .replace("id = \"orange-organic\"", "id = \"orange-quick\"")
        .replace("at_seconds = 90", "at_seconds = 1")
        .replace("at_seconds = 200", "at_seconds = 2")
        .replace("at_seconds = 300", "at_seconds = 3")
}

struct Http {
    url: String,
    http: reqwest::Client,
}

impl Http {
    async fn call(&self, method: Method, token: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn member(&self, owner: &str, org: i64, email: &str, role: &str) -> (String, i64) {
        let (_, answer) = self.call(Method::POST, owner, &format!("/api/v1/orgs/{org}/members"), Some(json!({ "email": email, "role": role }))).await;
        let one_time = answer["oneTimePassword"].as_str().unwrap_or_else(|| panic!("{answer}")).to_string();
        self.sign_in(email, &one_time, true).await
    }

    async fn sign_in(&self, email: &str, password: &str, first: bool) -> (String, i64) {
        let answer: Value = self.http.post(format!("{}/api/v1/sign-in", self.url)).json(&json!({ "email": email, "password": password })).send().await.unwrap().json().await.unwrap();
        let token = answer["token"].as_str().unwrap_or_else(|| panic!("{answer}")).to_string();
        if first {
            let (status, _) = self.call(Method::PUT, &token, "/api/v1/password", Some(json!({ "current": password, "new": format!("own password of {email}") }))).await;
            assert_eq!(status, StatusCode::NO_CONTENT);
        }
        (token, answer["member"]["id"].as_i64().unwrap())
    }
}

/// Plays a rehearsal on the shop as a desk would: the line-up, the script, go live, a reply
/// to the organic question, end. Returns what the desk would measure of it (honestly).
async fn rehearse(shop: &Client, id: &str, scenario: &anchordesk_course::Scenario, drop_event: Option<&str>) -> AttemptFacts {
    for product in &scenario.products {
        let upsert = ProductUpsert { title: product.name.clone(), description: String::new(), price_fen: product.price_fen, stock: product.stock as i64, origin: None };
        let _: Value = shop.write(Method::PUT, &format!("/v1/products/{}", product.sku), Some(&upsert), &format!("{id}-p-{}", product.sku)).await.unwrap();
    }
    let create = BroadcastCreate { id: id.into(), title: scenario.title_zh.clone(), anchor_id: None, products: scenario.products.iter().map(|p| p.sku.clone()).collect(), scheduled_start_ms: None };
    let _: Value = shop.write(Method::POST, "/v1/broadcasts", Some(&create), &format!("{id}-create")).await.unwrap();
    let events = scenario
        .events
        .iter()
        .filter(|e| Some(e.id.as_str()) != drop_event)
        .filter_map(|e| {
            let kind = match &e.kind {
                EventKind::Comment { user, text } => ScriptedKind::Comment { user: user.clone(), text: text.clone() },
                EventKind::StockOut { sku } => ScriptedKind::StockOut { sku: sku.clone() },
                EventKind::CouponDue { .. } => return None,
            };
            Some(ScriptedEvent { id: e.id.clone(), after_ms: e.at_seconds as i64 * 1000, kind })
        })
        .collect();
    let _: ScriptState = shop.write(Method::PUT, &format!("/v1/broadcasts/{id}/script"), Some(&BroadcastScript { events }), &format!("{id}-script")).await.unwrap();
    let _: Value = shop.write::<(), Value>(Method::POST, &format!("/v1/broadcasts/{id}/start"), None, &format!("{id}-start")).await.unwrap();
    // Wait for every scripted event to fire (the last at 3 s).
    let page = loop {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let page: EventPage = shop.get(&format!("/v1/broadcasts/{id}/events?after=0&limit=500")).await.unwrap();
        let fired = page.items.iter().filter(|e| matches!(&e.event, LiveEventKind::Comment { scripted: Some(_), .. } | LiveEventKind::Stock { scripted: Some(_), .. })).count();
        if fired == scenario.events.iter().filter(|e| !matches!(e.kind, EventKind::CouponDue { .. }) && Some(e.id.as_str()) != drop_event).count() {
            break page;
        }
    };
    let organic = page.items.iter().find(|e| matches!(&e.event, LiveEventKind::Comment { scripted: Some(s), .. } if s == "organic-question"));
    let answer = "我们有绿色食品认证，没有有机认证，放心买";
    if let Some(organic) = organic {
        let _: Value = shop.write(Method::POST, &format!("/v1/broadcasts/{id}/replies"), Some(&ReplyCreate { comment_seq: organic.seq, text: answer.into() }), &format!("{id}-reply")).await.unwrap();
    }
    let _: Value = shop.write::<(), Value>(Method::POST, &format!("/v1/broadcasts/{id}/end"), None, &format!("{id}-end")).await.unwrap();
    let metrics: BroadcastMetrics = shop.get(&format!("/v1/broadcasts/{id}/metrics")).await.unwrap();

    // What an honest desk measures: the reply it sent, none to the late delivery.
    let mut facts = model_attempt(scenario, Student { id: "2024031".into(), name: "陈同学".into() }, "2026-12-07T10:00:00+08:00", "2026-12-07T10:00:05+08:00");
    facts.duration_seconds = 4;
    facts.events.retain(|e| Some(e.event_id.as_str()) != drop_event);
    for event in &mut facts.events {
        match event.event_id.as_str() {
            "organic-question" => event.responses = vec![anchordesk_course::Response { at_ms: event.fired_at_ms + 2_000, text: answer.into(), lint_error_count: 0 }],
            "late-delivery" => event.responses.clear(),
            _ => {}
        }
    }
    facts.audience.orders = metrics.orders as u32;
    facts.audience.units = metrics.units as u32;
    facts.audience.gmv_fen = metrics.gmv_fen;
    facts.audience.peak_viewers = metrics.viewers_peak as u32;
    facts.audience.total_viewers = metrics.viewers_total as u32;
    facts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rehearsal_is_graded_from_what_the_class_shop_observed() {
    let pg = TestPostgres::start();
    let data = tempfile::tempdir().unwrap();
    let server = anchordesk_server::start(Config { database_url: pg.url(), listen: "127.0.0.1:0".parse().unwrap(), behind_proxy: false, tls: None, data_dir: Some(data.path().into()) }).await.unwrap();
    let api = Http { url: server.base_url(), http: reqwest::Client::new() };
    let pool = db::connect(&pg.url()).unwrap();
    let college = admin::create_org(&pool, "农林职业学院", "dean@nlzy.edu.cn").await.unwrap();
    let other = admin::create_org(&pool, "星火MCN", "boss@xinghuo.cn").await.unwrap();
    let org = college.org_id;
    let (dean, _) = api.sign_in("dean@nlzy.edu.cn", &college.one_time_password, true).await;
    let (boss, _) = api.sign_in("boss@xinghuo.cn", &other.one_time_password, true).await;
    let (teacher, _) = api.member(&dean, org, "wang@nlzy.edu.cn", "teacher").await;
    let (student, student_id) = api.member(&dean, org, "chen@nlzy.edu.cn", "student").await;
    let (outsider, _) = api.member(&dean, org, "li@nlzy.edu.cn", "student").await;
    let (status, class) = api.call(Method::POST, &teacher, &format!("/api/v1/orgs/{org}/rooms"), Some(json!({ "name": "电商2班", "kind": "class" }))).await;
    assert_eq!(status, StatusCode::CREATED, "{class}");
    let room = class["id"].as_i64().unwrap();
    let (status, _) = api.call(Method::PUT, &teacher, &format!("/api/v1/orgs/{org}/rooms/{room}/members/{student_id}"), None).await;
    assert!(status.is_success());
    let base = format!("/api/v1/orgs/{org}/rooms/{room}");

    // No scenario yet; only the teacher sets it, and a scenario that does not read is refused.
    let (status, answer) = api.call(Method::GET, &student, &format!("{base}/course"), None).await;
    assert_eq!((status, answer["error"].as_str()), (StatusCode::NOT_FOUND, Some("no-course")));
    let scenario_toml = quick_scenario();
    let (status, _) = api.call(Method::PUT, &student, &format!("{base}/course"), Some(json!({ "scenario": scenario_toml }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, answer) = api.call(Method::PUT, &teacher, &format!("{base}/course"), Some(json!({ "scenario": "id = 3" }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, answer) = api.call(Method::PUT, &teacher, &format!("{base}/course"), Some(json!({ "scenario": scenario_toml }))).await;
    assert_eq!((status, answer["scenarioId"].as_str()), (StatusCode::OK, Some("orange-quick")), "{answer}");
    let (_, course) = api.call(Method::GET, &student, &format!("{base}/course"), None).await;
    assert_eq!(course["scenario"].as_str(), Some(scenario_toml.as_str()), "the teacher's scenario travels to the desks");
    let scenario = parse_scenario("orange-quick.toml", &scenario_toml).unwrap();

    // The student's own shop; the same credentials again; nobody else's business.
    let (status, shop) = api.call(Method::POST, &student, &format!("{base}/shop"), None).await;
    assert_eq!(status, StatusCode::OK, "{shop}");
    let (_, again) = api.call(Method::POST, &student, &format!("{base}/shop"), None).await;
    assert_eq!(again["clientSecret"], shop["clientSecret"]);
    assert_eq!(api.call(Method::POST, &outsider, &format!("{base}/shop"), None).await.0, StatusCode::FORBIDDEN, "a student of another class");
    assert_eq!(api.call(Method::POST, &boss, &format!("{base}/shop"), None).await.0, StatusCode::NOT_FOUND, "another organisation");
    for (method, path) in [(Method::GET, format!("{base}/course")), (Method::PUT, format!("{base}/course")), (Method::GET, format!("{base}/attempts")), (Method::POST, format!("{base}/attempts")), (Method::GET, format!("/api/v1/orgs/{org}/plans")), (Method::PUT, format!("/api/v1/orgs/{org}/templates/night"))] {
        let facts = model_attempt(&scenario, Student { id: "1".into(), name: "x".into() }, "2026-12-07T10:00:00+08:00", "2026-12-07T10:10:00+08:00");
        let (status, _) = api.call(method.clone(), &boss, &path, Some(json!({ "scenarioId": "orange-organic", "body": { "toml": "title = 'x'" }, "broadcastId": "x", "facts": facts }))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another organisation's {method} {path}");
    }
    let (status, _) = api.call(Method::PUT, &student, &format!("/api/v1/orgs/{org}/templates/night"), Some(json!({ "body": { "toml": "title = 'x'\ntitle_en = 'x'" } }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a student does not share templates");
    let client = Client::new(ClientConfig::new(format!("{}{}", api.url, shop["path"].as_str().unwrap()), shop["clientId"].as_str().unwrap(), shop["clientSecret"].as_str().unwrap())).unwrap();
    let wrong = Client::new(ClientConfig::new(format!("{}{}", api.url, shop["path"].as_str().unwrap()), shop["clientId"].as_str().unwrap(), "not the secret")).unwrap();
    assert!(wrong.get::<Value>("/v1/shop").await.is_err(), "the shop's own credentials guard it");
    // Only the contract's client routes go through: not the sandbox's admin routes nor its
    // public shop pages (which would list the students).
    for hidden in ["/admin/faults".to_string(), format!("/shop/{}", shop["shopId"].as_str().unwrap()), "/nothing".to_string()] {
        let status = api.http.get(format!("{}{}{hidden}", api.url, shop["path"].as_str().unwrap())).send().await.unwrap().status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{hidden}");
    }
    let client_id = shop["clientId"].as_str().unwrap();
    assert!(client_id.len() >= 32 && !client_id.contains("member"), "a client id nobody can guess: {client_id}");

    // An honest attempt: nothing to mark; the grade is the one the facts give.
    let honest = rehearse(&client, "rehearsal-1", &scenario, None).await;
    let (status, handed) = api.call(Method::POST, &student, &format!("{base}/attempts"), Some(json!({ "broadcastId": "rehearsal-1", "facts": honest }))).await;
    assert_eq!(status, StatusCode::CREATED, "{handed}");
    assert_eq!(handed["disagreements"], json!([]), "{handed}");
    let honest_total = handed["total"].as_f64().unwrap();
    let own = grade(&scenario, &Rubric::default_rubric(), &honest).unwrap().total;
    assert!((honest_total - own).abs() < 1e-9, "{honest_total} vs {own}");

    // The same rehearsal handed in again with an answer never sent and orders never placed.
    let mut forged = honest.clone();
    let late = forged.events.iter_mut().find(|e| e.event_id == "late-delivery").unwrap();
    late.responses.push(anchordesk_course::Response { at_ms: late.fired_at_ms + 3_000, text: "已帮您查了订单号，今天补发".into(), lint_error_count: 0 });
    forged.audience.orders += 5;
    assert!(grade(&scenario, &Rubric::default_rubric(), &forged).unwrap().total > honest_total, "the forgery would pay if it were believed");
    let (status, handed) = api.call(Method::POST, &student, &format!("{base}/attempts"), Some(json!({ "broadcastId": "rehearsal-1", "facts": forged }))).await;
    assert_eq!(status, StatusCode::CREATED, "{handed}");
    let facts: Vec<&str> = handed["disagreements"].as_array().unwrap().iter().map(|d| d["fact"].as_str().unwrap()).collect();
    assert_eq!(facts, ["events.late-delivery.responses", "audience.orders"], "{handed}");
    assert!(handed["disagreements"][0]["submitted"].as_str().unwrap().contains("今天补发"));
    assert_eq!(handed["disagreements"][0]["observed"], "none");
    assert_eq!(handed["total"].as_f64().unwrap(), honest_total, "graded from what the shop observed");

    // A rehearsal whose script left out the organic question is marked.
    let dodged = rehearse(&client, "rehearsal-2", &scenario, Some("organic-question")).await;
    let (status, handed) = api.call(Method::POST, &student, &format!("{base}/attempts"), Some(json!({ "broadcastId": "rehearsal-2", "facts": dodged }))).await;
    assert_eq!(status, StatusCode::CREATED, "{handed}");
    assert_eq!(handed["disagreements"][0]["fact"], "script.organic-question", "{handed}");
    assert_eq!(handed["disagreements"][0]["observed"], "not in the shop's script");

    // What the shop never saw is not an attempt.
    let (status, answer) = api.call(Method::POST, &student, &format!("{base}/attempts"), Some(json!({ "broadcastId": "made-up", "facts": honest }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer["message"].as_str().unwrap().contains("practice shop"), "{answer}");

    // The teacher's table: the latest attempt of each student, re-graded from its facts.
    let (status, table) = api.call(Method::GET, &teacher, &format!("{base}/attempts"), None).await;
    assert_eq!(status, StatusCode::OK);
    let rows = table["attempts"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{table}");
    assert_eq!((rows[0]["email"].as_str(), rows[0]["attempts"].as_i64(), rows[0]["broadcastId"].as_str()), (Some("chen@nlzy.edu.cn"), Some(2), Some("rehearsal-2")));
    assert_eq!(rows[0]["disagreements"][0]["fact"], "script.organic-question");
    let (_, mine) = api.call(Method::GET, &outsider, &format!("{base}/attempts"), None).await;
    assert_eq!(mine["error"].as_str(), Some("forbidden"), "{mine}");

    // The teacher's page shows the same table, the disagreement named.
    let page = api.http.get(format!("{}/team", api.url)).header("cookie", format!("anchordesk_session={teacher}")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("chen@nlzy.edu.cn") && page.contains("script.organic-question"), "{page}");
    let english = api.http.get(format!("{}/team?lang=en", api.url)).header("cookie", format!("anchordesk_session={teacher}")).send().await.unwrap().text().await.unwrap();
    assert!(english.contains("Class grades") && english.contains("Gannan navel oranges"), "{english}");

    // Out of the class, out of its shop: the student's credentials no longer open it.
    let (status, _) = api.call(Method::DELETE, &teacher, &format!("/api/v1/orgs/{org}/rooms/{room}/members/{student_id}"), None).await;
    assert!(status.is_success(), "{status}");
    let again = Client::new(ClientConfig::new(format!("{}{}", api.url, shop["path"].as_str().unwrap()), shop["clientId"].as_str().unwrap(), shop["clientSecret"].as_str().unwrap())).unwrap();
    assert!(again.get::<Value>("/v1/shop").await.is_err(), "revoked");

    server.shutdown().await.unwrap();
}
