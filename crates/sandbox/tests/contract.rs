//! The sandbox against the contract: routes, problems, idempotency, signatures, limits,
//! persistence, the audience and the event stream.

mod common;

use anchordesk_platform::routes::{Access, Body, ROUTES};
use anchordesk_platform::sign::{self, IDEMPOTENCY_HEADER, REPLAYED_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use anchordesk_platform::*;
use anchordesk_sandbox::{Config, RateLimit, Sandbox, DEMO_CLIENT_SECRET};
use futures_util::StreamExt;
use reqwest::Method;
use std::time::{Duration, Instant};

fn concrete(path: &str) -> String {
    path.replace("{anchor_id}", "a1").replace("{sku}", "GN-1").replace("{broadcast_id}", "b1").replace("{shop_id}", "demo")
}

fn body_for(operation_id: &str) -> Option<serde_json::Value> {
    let body = match operation_id {
        "upsertAnchor" => serde_json::json!({"name": "李主播", "qualifications": ["食品经营许可"]}),
        "upsertProduct" => serde_json::to_value(common::product("赣南脐橙 5kg", 5990, 100)).unwrap(),
        "setStock" => serde_json::json!({"stock": 80}),
        "createBroadcast" => serde_json::json!({"id": "b2", "title": "第二场", "products": ["GN-1"]}),
        "setLineup" => serde_json::json!({"products": ["GN-1"]}),
        "listInBag" => serde_json::json!({"live_price_fen": 3990}),
        "pinProduct" => serde_json::json!({"sku": "GN-1"}),
        "createCoupon" => serde_json::json!({"id": "c1", "title": "满50减10", "discount_fen": 1000, "threshold_fen": 5000, "quantity": 100}),
        "adminCreateShop" => serde_json::json!({"name": "课堂练习店"}),
        "adminSetFaults" => serde_json::json!({}),
        "adminTick" => serde_json::json!({"ticks": 3}),
        "setScript" => serde_json::json!({"events": [
            {"id": "q-organic", "after_ms": 0, "kind": {"type": "comment", "user": "小鹿", "text": "这橙子是有机的吗?"}}
        ]}),
        _ => return None,
    };
    Some(body)
}

use common::{expect_problem, now_s, setup_live_broadcast, signed};

#[tokio::test]
async fn every_documented_route_answers_and_nothing_else_does() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let platform = common::platform(&base);
    setup_live_broadcast(&platform).await;
    let client = common::raw_client(&base);
    let http = reqwest::Client::new();
    // Routes that end or replace state may meet the state an earlier route left.
    let tolerated = [ProblemCode::Conflict, ProblemCode::InvalidState, ProblemCode::Validation, ProblemCode::NotFound];
    for (idx, route) in ROUTES.iter().enumerate() {
        let mut path = concrete(route.path);
        if route.operation_id == "endBroadcast" {
            // End the broadcast createBroadcast made, so that b1 stays live for the rest.
            path = path.replace("/b1/", "/b2/");
        }
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        let body = match route.operation_id {
            // Answer the comment setScript's scenario wrote; it fires as soon as it is due.
            "createReply" => {
                let events = platform.events("b1", 0, 1000).await.unwrap().items;
                let comment_seq = events
                    .iter()
                    .find(|event| matches!(&event.event, LiveEventKind::Comment { scripted: Some(id), .. } if id == "q-organic"))
                    .map(|event| event.seq)
                    .expect("the scripted comment fired before createReply");
                Some(serde_json::json!({"comment_seq": comment_seq, "text": "有机认证证书在商品详情页"}))
            }
            operation_id => body_for(operation_id),
        };
        let status = match route.access {
            Access::Signed if route.response == Body::EventStream("LiveEvent") => {
                let stream = client.event_stream(&path).await;
                assert!(stream.is_ok(), "{}: {:?}", route.key(), stream.err());
                route.status
            }
            Access::Signed => {
                let bytes = match route.request {
                    // The upload probe takes raw bytes, not JSON.
                    Body::Binary(_) => Some(vec![0xA5; 4096]),
                    _ => body.map(|body| serde_json::to_vec(&body).unwrap()),
                };
                let key = format!("contract-{idx}");
                match client.call(method, &path, bytes, route.is_write().then_some(key.as_str())).await {
                    Ok(answer) => answer.status,
                    Err(PlatformError::Problem { problem, .. }) => {
                        // Nothing before these leaves b1 in a state that could refuse them.
                        let must_succeed = ["setScript", "createReply", "probeUpload"];
                        assert!(!must_succeed.contains(&route.operation_id), "{} answered {problem:?}", route.key());
                        assert!(tolerated.contains(&problem.code), "{} answered {problem:?}", route.key());
                        assert!(route.method != "GET", "{} is a read and must succeed: {problem:?}", route.key());
                        continue;
                    }
                    Err(err) => panic!("{}: {err}", route.key()),
                }
            }
            Access::Public | Access::Admin => {
                let mut request = http.request(method, format!("{base}{path}"));
                if route.access == Access::Admin {
                    request = request.header(anchordesk_sandbox::ADMIN_TOKEN_HEADER, common::ADMIN);
                }
                if route.operation_id == "createToken" {
                    request = request.form(&[
                        ("grant_type", "client_credentials"),
                        ("client_id", anchordesk_sandbox::DEMO_CLIENT_ID),
                        ("client_secret", DEMO_CLIENT_SECRET),
                    ]);
                } else if let Some(body) = body {
                    request = request.json(&body);
                }
                request.send().await.unwrap().status().as_u16()
            }
        };
        assert_eq!(status, route.status, "{}", route.key());
    }

    // Nothing outside the table is served: unknown paths and methods get problems.
    for (method, path) in [("GET", "/v1/orders"), ("GET", "/v2/shop"), ("POST", "/v1/products/GN-1/delete"), ("GET", "/admin")] {
        let response = http.request(Method::from_bytes(method.as_bytes()).unwrap(), format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
        let problem: Problem = response.json().await.unwrap();
        assert_eq!(problem.code, ProblemCode::NoRoute);
    }
    let response = http.delete(format!("{base}/v1/shop")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.json::<Problem>().await.unwrap().code, ProblemCode::MethodNotAllowed);

    // The served document is the contract's.
    let served = http.get(format!("{base}/openapi.json")).send().await.unwrap().text().await.unwrap();
    assert_eq!(served, openapi::document_json());
    sandbox.shutdown().await.unwrap();
}


#[tokio::test]
async fn errors_are_problem_details_with_the_failing_value() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let token = common::client(&base).token().await.unwrap();
    // method, path, body, idempotency key, status, code, what the detail must mention
    type Case<'a> = (&'a str, &'a str, &'a [u8], Option<&'a str>, u16, ProblemCode, &'a str);
    let cases: Vec<Case> = vec![
        ("GET", "/v1/products/NOPE", b"", None, 404, ProblemCode::NotFound, "NOPE"),
        ("PUT", "/v1/products/GN-1", b"{not json", Some("k1"), 400, ProblemCode::BadRequest, "body"),
        ("PUT", "/v1/products/GN-1", br#"{"title":"x","price_fen":0,"stock":1}"#, Some("k2"), 422, ProblemCode::Validation, "price 0"),
        ("PUT", "/v1/products/GN-1", br#"{"title":"x","price_fen":100,"stock":1}"#, None, 400, ProblemCode::MissingIdempotencyKey, "Idempotency-Key"),
        ("POST", "/v1/broadcasts/none/start", b"", Some("k3"), 404, ProblemCode::NotFound, "none"),
    ];
    for (method, path, body, key, status, code, mention) in cases {
        let response = signed(&base, &token, method, path, body, now_s(), key, DEMO_CLIENT_SECRET).await;
        let problem = expect_problem(response, status, code).await;
        assert!(problem.detail.contains(mention), "{method} {path}: {:?} should mention {mention}", problem.detail);
    }
    let anonymous = reqwest::Client::new().get(format!("{base}/v1/shop")).send().await.unwrap();
    expect_problem(anonymous, 401, ProblemCode::Unauthorized).await;
    let stale_token = signed(&base, "not-a-token", "GET", "/v1/shop", b"", now_s(), None, DEMO_CLIENT_SECRET).await;
    expect_problem(stale_token, 401, ProblemCode::InvalidToken).await;
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_replayed_write_returns_the_first_answer_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let client = common::raw_client(&base);
    let body = serde_json::to_vec(&common::product("五常大米 10kg", 8990, 50)).unwrap();
    let first = client.call(Method::PUT, "/v1/products/RICE-10", Some(body.clone()), Some("key-1")).await.unwrap();
    let again = client.call(Method::PUT, "/v1/products/RICE-10", Some(body.clone()), Some("key-1")).await.unwrap();
    assert!(!first.replayed);
    assert!(again.replayed);
    assert_eq!(first.body, again.body);
    let product: Product = client.get("/v1/products/RICE-10").await.unwrap();
    assert_eq!(product.revision, 1, "the replay must not apply the upsert a second time");

    // The header is visible to any client, not only ours.
    let token = client.token().await.unwrap();
    let response = signed(&base, &token, "PUT", "/v1/products/RICE-10", &body, now_s(), Some("key-1"), DEMO_CLIENT_SECRET).await;
    assert_eq!(response.headers().get(REPLAYED_HEADER).unwrap(), "true");

    // The same key with another body is refused, not replayed.
    let other = serde_json::to_vec(&common::product("五常大米 10kg", 7990, 50)).unwrap();
    let mismatch = signed(&base, &token, "PUT", "/v1/products/RICE-10", &other, now_s(), Some("key-1"), DEMO_CLIENT_SECRET).await;
    expect_problem(mismatch, 422, ProblemCode::IdempotencyMismatch).await;

    // A new key applies again.
    client.call(Method::PUT, "/v1/products/RICE-10", Some(other), Some("key-2")).await.unwrap();
    let product: Product = client.get("/v1/products/RICE-10").await.unwrap();
    assert_eq!((product.revision, product.price_fen), (2, 7990));
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_signatures_and_stale_timestamps_are_refused_and_the_client_corrects_skew() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let client = common::client(&base);
    let token = client.token().await.unwrap();

    let forged = signed(&base, &token, "GET", "/v1/shop", b"", now_s(), None, "not-the-secret").await;
    expect_problem(forged, 401, ProblemCode::BadSignature).await;
    let replayed_late = signed(&base, &token, "GET", "/v1/shop", b"", now_s() - 600, None, DEMO_CLIENT_SECRET).await;
    let problem = expect_problem(replayed_late, 401, ProblemCode::ClockSkew).await;
    let server_ms = problem.server_time_ms.expect("a clock-skew problem carries the server's clock");
    assert!((server_ms - now_ms()).abs() < 5_000);
    // A body changed after signing breaks the signature.
    let good = br#"{"stock": 5}"#;
    let nonce = sign::new_nonce();
    let signature = sign::sign(
        DEMO_CLIENT_SECRET,
        &sign::Signed { method: "PUT", path_and_query: "/v1/products/X/stock", timestamp_s: now_s(), nonce: &nonce, idempotency_key: "t1", body: good },
    );
    let tampered = reqwest::Client::new()
        .put(format!("{base}/v1/products/X/stock"))
        .bearer_auth(&token)
        .header(TIMESTAMP_HEADER, now_s().to_string())
        .header(sign::NONCE_HEADER, nonce)
        .header(SIGNATURE_HEADER, signature)
        .header(IDEMPOTENCY_HEADER, "t1")
        .body(&br#"{"stock": 500}"#[..])
        .send()
        .await
        .unwrap();
    expect_problem(tampered, 401, ProblemCode::BadSignature).await;

    // The platform's clock runs 15 minutes ahead: the client learns the offset and goes on.
    let mut faults = FaultSettings::default();
    faults.global.clock_skew_s = 900;
    sandbox.set_faults(faults);
    let shop: Shop = client.get("/v1/shop").await.unwrap();
    assert_eq!(shop.id, anchordesk_sandbox::DEMO_SHOP_ID);
    assert!((client.clock_offset_s() - 900).abs() <= 2, "offset {}", client.clock_offset_s());
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn over_the_rate_limit_answers_429_with_retry_after_and_the_client_waits() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::test_config(dir.path());
    config.rate_limit = Some(RateLimit { per_second: 1.0, burst: 3.0 });
    let sandbox = Sandbox::start(config).await.unwrap();
    let base = sandbox.base_url();
    let raw = common::raw_client(&base);
    for _ in 0..3 {
        raw.get::<Shop>("/v1/shop").await.unwrap();
    }
    match raw.get::<Shop>("/v1/shop").await {
        Err(PlatformError::Problem { problem, retry_after, .. }) => {
            assert_eq!(problem.code, ProblemCode::RateLimited);
            assert_eq!(retry_after, Some(Duration::from_secs(1)));
        }
        other => panic!("expected 429, got {other:?}"),
    }
    // The retrying client sleeps at least Retry-After and then succeeds.
    let started = Instant::now();
    common::client(&base).get::<Shop>("/v1/shop").await.unwrap_or_else(|err| panic!("{err}"));
    let retrying = common::client(&base);
    for _ in 0..2 {
        retrying.get::<Shop>("/v1/shop").await.unwrap();
    }
    assert!(started.elapsed() >= Duration::from_millis(900), "{:?}", started.elapsed());

    // An injected 429 storm on one route leaves the others alone.
    let mut faults = FaultSettings::default();
    faults.routes.insert("GET /v1/products".into(), FaultConfig { rate_limit_rate: 1.0, ..FaultConfig::default() });
    sandbox.set_faults(faults);
    match raw.get::<ProductPage>("/v1/products").await {
        Err(PlatformError::Problem { problem, retry_after, .. }) => {
            assert_eq!(problem.code, ProblemCode::RateLimited);
            assert!(retry_after.is_some());
        }
        other => panic!("expected an injected 429, got {other:?}"),
    }
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut config: Config = common::test_config(dir.path());
    let first = Sandbox::start(config.clone()).await.unwrap();
    let addr = first.addr();
    let platform = common::platform(&first.base_url());
    setup_live_broadcast(&platform).await;
    platform.pin("pin-1", "b1", Some("GN-1")).await.unwrap();
    let coupon = CouponCreate { id: "c1".into(), title: "满50减10".into(), discount_fen: 1000, threshold_fen: 5000, quantity: 20, sku: None };
    platform.create_coupon("coupon-1", "b1", &coupon).await.unwrap();
    let before = (platform.list_products(None, 100).await.unwrap(), platform.broadcast("b1").await.unwrap(), platform.bag("b1").await.unwrap());
    first.shutdown().await.unwrap();

    config.addr = addr;
    let second = Sandbox::start(config).await.unwrap();
    // Same client: its token and the replay records were persisted too.
    let after = (platform.list_products(None, 100).await.unwrap(), platform.broadcast("b1").await.unwrap(), platform.bag("b1").await.unwrap());
    assert_eq!(before, after);
    let replay = platform.create_coupon("coupon-1", "b1", &coupon).await.unwrap();
    assert_eq!(replay.id, "c1");
    assert_eq!(after.1.status, BroadcastStatus::Live);
    assert_eq!(after.1.pinned_sku.as_deref(), Some("GN-1"));
    second.shutdown().await.unwrap();
}

/// Runs the same broadcast script with manual ticks and returns what the audience did.
async fn audience_run(seed: u64, ticks: i32) -> (Vec<LiveEventKind>, BroadcastMetrics) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::test_config(dir.path());
    config.seed = seed;
    let sandbox = Sandbox::start(config).await.unwrap();
    let base = sandbox.base_url();
    let platform = common::platform(&base);
    setup_live_broadcast(&platform).await;
    platform.pin("pin", "b1", Some("GN-1")).await.unwrap();
    let coupon = CouponCreate { id: "c1".into(), title: "立减5元".into(), discount_fen: 500, threshold_fen: 0, quantity: 10, sku: None };
    platform.create_coupon("coupon", "b1", &coupon).await.unwrap();
    let tick = reqwest::Client::new()
        .post(format!("{base}/admin/broadcasts/b1/tick")).header(anchordesk_sandbox::ADMIN_TOKEN_HEADER, common::ADMIN)
        .json(&TickRequest { ticks })
        .send()
        .await
        .unwrap();
    assert_eq!(tick.status(), 200);
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page = platform.events("b1", after, 500).await.unwrap();
        if page.items.is_empty() {
            break;
        }
        after = page.next_after;
        events.extend(page.items.into_iter().map(|event| event.event));
    }
    let metrics = platform.metrics("b1").await.unwrap();
    // Every coupon claimed is one order that used it, and no more are claimed than exist.
    let claimed = platform.client().get::<CouponList>("/v1/broadcasts/b1/coupons").await.unwrap().items[0].claimed;
    let orders = platform.orders("b1", 0, 1000).await.unwrap().items;
    let with_coupon = orders.iter().filter(|order| order.coupon_id.as_deref() == Some("c1")).count();
    assert_eq!(claimed as usize, with_coupon);
    assert!((1..=10).contains(&claimed), "claimed {claimed}");
    for order in orders.iter().filter(|order| order.coupon_id.is_some()) {
        assert_eq!(order.amount_fen, 3990 * order.quantity as i64 - 500);
    }
    sandbox.shutdown().await.unwrap();
    (events, metrics)
}

#[tokio::test]
async fn the_audience_is_the_same_for_the_same_seed_and_buys_what_is_pinned() {
    let (first, metrics) = audience_run(42, 60).await;
    let (second, _) = audience_run(42, 60).await;
    let (other, _) = audience_run(43, 60).await;
    assert_eq!(first, second);
    assert_ne!(first, other);
    let comments: Vec<&str> = first
        .iter()
        .filter_map(|event| match event {
            LiveEventKind::Comment { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(comments.len() >= 20, "{} comments", comments.len());
    assert!(metrics.viewers_peak > 0 && metrics.likes > 0);
    assert!(metrics.orders > 0, "a pinned product at a third off sells: {metrics:?}");
    assert_eq!(metrics.products[0].sku, "GN-1");
    assert_eq!(metrics.products[0].units, metrics.units);
    assert_eq!(metrics.products[0].pins, 1);
    assert_eq!(metrics.comments as usize, comments.len());
}

#[tokio::test]
async fn the_event_stream_delivers_live_events_and_resumes_after_a_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let platform = common::platform(&base);
    setup_live_broadcast(&platform).await;
    let mut stream = platform.event_stream("b1", 0).await.unwrap();
    // The backlog first: the broadcast went live.
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(first.event, LiveEventKind::Status { status: BroadcastStatus::Live });
    // Then what happens now.
    platform.pin("pin", "b1", Some("GN-1")).await.unwrap();
    let pinned = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(pinned.event, LiveEventKind::Pinned { sku: Some("GN-1".into()) });
    assert!(pinned.seq > first.seq);
    // A new stream after the last seen seq starts after it.
    let mut resumed = platform.event_stream("b1", first.seq).await.unwrap();
    let again = tokio::time::timeout(Duration::from_secs(5), resumed.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(again, pinned);
    // A browser's EventSource resumes with Last-Event-ID instead.
    let client = platform.client();
    let token = client.token().await.unwrap();
    let path = "/v1/broadcasts/b1/events/stream";
    let timestamp = now_s();
    let response = reqwest::Client::new()
        .get(format!("{}{path}", client.base_url()))
        .bearer_auth(&token)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(sign::NONCE_HEADER, "stream-resume-nonce-1")
        .header(
            SIGNATURE_HEADER,
            sign::sign(
                DEMO_CLIENT_SECRET,
                &sign::Signed { method: "GET", path_and_query: path, timestamp_s: timestamp, nonce: "stream-resume-nonce-1", idempotency_key: "", body: b"" },
            ),
        )
        .header("last-event-id", first.seq.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut bytes = response.bytes_stream();
    let chunk = tokio::time::timeout(Duration::from_secs(5), bytes.next()).await.unwrap().unwrap().unwrap();
    let text = String::from_utf8_lossy(&chunk);
    assert!(text.contains(&format!("id: {}", pinned.seq)) && text.contains("event: pinned"), "{text}");
    assert!(!text.contains(&format!("id: {}\n", first.seq)), "{text}");
    drop(stream);
    drop(resumed);
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_client_gets_a_new_token_when_the_old_one_expires() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::test_config(dir.path());
    config.token_ttl = Duration::from_secs(2);
    let sandbox = Sandbox::start(config).await.unwrap();
    let client = common::raw_client(&sandbox.base_url());
    let first = client.token().await.unwrap();
    client.get::<Shop>("/v1/shop").await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    // The old token is refused by the platform...
    let expired = signed(&sandbox.base_url(), &first, "GET", "/v1/shop", b"", now_s(), None, DEMO_CLIENT_SECRET).await;
    expect_problem(expired, 401, ProblemCode::InvalidToken).await;
    // ...and the client, even without retries, has already moved on to a new one.
    client.get::<Shop>("/v1/shop").await.unwrap();
    assert_ne!(client.token().await.unwrap(), first);
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_desk_owns_descriptions_and_prices_and_the_platform_owns_sold_counts() {
    let (dir, sandbox) = {
        let dir = tempfile::tempdir().unwrap();
        let mut config = common::test_config(dir.path());
        config.seed = 5;
        let sandbox = Sandbox::start(config).await.unwrap();
        (dir, sandbox)
    };
    let base = sandbox.base_url();
    let platform = common::platform(&base);
    setup_live_broadcast(&platform).await;
    platform.pin("pin", "b1", Some("GN-1")).await.unwrap();
    reqwest::Client::new().post(format!("{base}/admin/broadcasts/b1/tick")).header(anchordesk_sandbox::ADMIN_TOKEN_HEADER, common::ADMIN).json(&TickRequest { ticks: 80 }).send().await.unwrap();
    let sold = platform.list_products(None, 10).await.unwrap().items[0].sold;
    assert!(sold > 0, "the audience bought nothing");

    // The desk rewrites the description and price and allocates more stock.
    let mut upsert = common::product("赣南脐橙 5kg 新果", 4990, 500);
    upsert.description = "当季新果，坏果包赔".into();
    let product = platform.upsert_product("desk-edit", "GN-1", &upsert).await.unwrap();
    assert_eq!((product.title.as_str(), product.price_fen, product.stock), ("赣南脐橙 5kg 新果", 4990, 500));
    assert_eq!(product.description, "当季新果，坏果包赔");
    assert_eq!(product.sold, sold, "a desk upsert never touches the platform's sold count");
    assert_eq!(product.available, 500 - sold);
    // Stock below what was sold leaves nothing available, never a negative number.
    let product = platform.set_stock("desk-stock", "GN-1", 0).await.unwrap();
    assert_eq!((product.sold, product.available), (sold, 0));
    drop(dir);
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn fault_switches_apply_per_route_and_refuse_unknown_routes() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let client = common::raw_client(&base);
    client.get::<Shop>("/v1/shop").await.unwrap();
    let http = reqwest::Client::new();
    let mut faults = FaultSettings::default();
    faults.routes.insert("GET /v1/shop".into(), FaultConfig { latency_ms: 800, ..FaultConfig::default() });
    faults.routes.insert("GET /v1/products".into(), FaultConfig { error_rate: 1.0, ..FaultConfig::default() });
    let response = http.put(format!("{base}/admin/faults")).header(anchordesk_sandbox::ADMIN_TOKEN_HEADER, common::ADMIN).json(&faults).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(http.get(format!("{base}/admin/faults")).header(anchordesk_sandbox::ADMIN_TOKEN_HEADER, common::ADMIN).send().await.unwrap().json::<FaultSettings>().await.unwrap(), faults);

    let started = Instant::now();
    client.get::<Shop>("/v1/shop").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(800));
    let started = Instant::now();
    client.get::<Product>("/v1/products/none").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(800), "latency leaked to another route");
    match client.get::<ProductPage>("/v1/products").await {
        Err(PlatformError::Problem { problem, .. }) => assert_eq!(problem.code, ProblemCode::Internal),
        other => panic!("expected an injected 500, got {other:?}"),
    }
    // Dropped connections reach the client as transport errors, which it retries.
    let mut faults = FaultSettings::default();
    faults.global.drop_rate = 1.0;
    sandbox.set_faults(faults);
    let dropped = client.get::<Shop>("/v1/shop").await.unwrap_err();
    assert!(matches!(dropped, PlatformError::Transport { .. }) && dropped.is_retriable(), "{dropped:?}");

    let bad = serde_json::json!({"routes": {"GET /v1/nothing": {"error_rate": 0.5}}});
    let refused = http.put(format!("{base}/admin/faults")).header(anchordesk_sandbox::ADMIN_TOKEN_HEADER, common::ADMIN).json(&bad).send().await.unwrap();
    expect_problem(refused, 422, ProblemCode::Validation).await;
    let bad = serde_json::json!({"global": {"error_rate": 1.5}});
    let refused = http.put(format!("{base}/admin/faults")).header(anchordesk_sandbox::ADMIN_TOKEN_HEADER, common::ADMIN).json(&bad).send().await.unwrap();
    expect_problem(refused, 422, ProblemCode::Validation).await;
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_shop_page_shows_the_bag_the_product_on_air_and_orders() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let platform = common::platform(&base);
    setup_live_broadcast(&platform).await;
    platform.pin("pin", "b1", Some("GN-1")).await.unwrap();
    let http = reqwest::Client::new();
    http.post(format!("{base}/admin/broadcasts/b1/tick")).header(anchordesk_sandbox::ADMIN_TOKEN_HEADER, common::ADMIN).json(&TickRequest { ticks: 60 }).send().await.unwrap();
    let orders = platform.orders("b1", 0, 1000).await.unwrap().items;
    assert!(!orders.is_empty());
    let response = http.get(format!("{base}/shop/{}", anchordesk_sandbox::DEMO_SHOP_ID)).send().await.unwrap();
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = response.text().await.unwrap();
    assert!(page.contains("直播中"), "{page}");
    assert!(page.contains("讲解中: <b>赣南脐橙 5kg</b> ¥39.90"), "{page}");
    assert!(page.contains("<s>¥59.90</s>"), "{page}");
    assert!(page.contains(&format!("{} orders", orders.len())), "{page}");
    assert!(page.contains(&orders.last().unwrap().buyer), "the newest order is listed");
    let missing = http.get(format!("{base}/shop/nobody")).send().await.unwrap();
    expect_problem(missing, 404, ProblemCode::NotFound).await;
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn skus_with_chinese_spaces_and_slashes_survive_the_path_and_the_signature() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let platform = common::platform(&sandbox.base_url());
    let skus = ["赣南脐橙-5kg/礼盒", "tea 250g", "A+B?c=d#e", "100%蜂蜜"];
    for (idx, sku) in skus.iter().enumerate() {
        let product = platform.upsert_product(&format!("k{idx}"), sku, &common::product("礼盒", 9900, 5)).await.unwrap();
        assert_eq!(product.sku, *sku);
        let stock = platform.set_stock(&format!("s{idx}"), sku, 7).await.unwrap();
        assert_eq!((stock.sku.as_str(), stock.stock), (*sku, 7));
    }
    let mut listed: Vec<String> = platform.list_products(None, 10).await.unwrap().items.into_iter().map(|product| product.sku).collect();
    listed.sort();
    let mut expected: Vec<String> = skus.iter().map(|sku| sku.to_string()).collect();
    expected.sort();
    assert_eq!(listed, expected);
    // Paging with a cursor that needs encoding.
    let first = platform.list_products(None, 2).await.unwrap();
    let second = platform.list_products(first.next_cursor.as_deref(), 2).await.unwrap();
    assert_eq!(first.items.len() + second.items.len(), 4);
    assert_eq!(second.next_cursor, None);
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn metrics_count_the_time_each_product_was_on_air() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let platform = common::platform(&sandbox.base_url());
    setup_live_broadcast(&platform).await;
    platform.upsert_product("p2", "RICE", &common::product("五常大米", 8990, 50)).await.unwrap();
    platform.set_lineup("lineup", "b1", &["GN-1".to_owned(), "RICE".to_owned()]).await.unwrap();
    platform.list_in_bag("bag2", "b1", "RICE", 6990).await.unwrap();
    platform.pin("pin1", "b1", Some("GN-1")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    platform.pin("pin2", "b1", Some("RICE")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    platform.pin("pin3", "b1", None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    platform.pin("pin4", "b1", Some("GN-1")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    platform.end_broadcast("end", "b1").await.unwrap();
    let metrics = platform.metrics("b1").await.unwrap();
    let by_sku = |sku: &str| metrics.products.iter().find(|product| product.sku == sku).unwrap().clone();
    let (orange, rice) = (by_sku("GN-1"), by_sku("RICE"));
    assert_eq!((orange.pins, rice.pins), (2, 1));
    // 300 + 100 ms for the oranges, 150 ms for the rice; the unpinned 200 ms count for neither.
    assert!((400..700).contains(&orange.pinned_ms), "{orange:?}");
    assert!((150..400).contains(&rice.pinned_ms), "{rice:?}");
    // After the end nothing accrues.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(platform.metrics("b1").await.unwrap().products, metrics.products);
    sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_of_one_write_apply_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let client = common::raw_client(&sandbox.base_url());
    client.token().await.unwrap();
    let body = serde_json::to_vec(&common::product("高山云雾茶 250g", 12800, 30)).unwrap();
    let sends = (0..12).map(|_| {
        let client = client.clone();
        let body = body.clone();
        tokio::spawn(async move { client.call(Method::PUT, "/v1/products/TEA-250", Some(body), Some("same-key")).await.unwrap() })
    });
    let answers: Vec<_> = futures_util::future::join_all(sends).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(answers.iter().filter(|answer| !answer.replayed).count(), 1, "exactly one send applies the write");
    assert!(answers.iter().all(|answer| answer.body == answers[0].body));
    let product: Product = client.get("/v1/products/TEA-250").await.unwrap();
    assert_eq!(product.revision, 1);
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn shops_are_isolated_from_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let response = reqwest::Client::new().post(format!("{base}/admin/shops")).header(anchordesk_sandbox::ADMIN_TOKEN_HEADER, common::ADMIN).json(&ShopCreate { name: "学生练习店 3 号".into() }).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let student: ShopCredentials = response.json().await.unwrap();
    let student_platform = ContractClient::new(ClientConfig::new(base.clone(), student.client_id.clone(), student.client_secret.clone())).unwrap();
    let demo = common::platform(&base);

    assert_eq!(student_platform.shop().await.unwrap(), student.shop);
    demo.upsert_product("k1", "GN-1", &common::product("赣南脐橙", 5990, 10)).await.unwrap();
    // The same SKU and even the same idempotency key mean nothing across shops.
    let theirs = student_platform.upsert_product("k1", "GN-1", &common::product("学生的橙子", 1990, 3)).await.unwrap();
    assert_eq!((theirs.title.as_str(), theirs.revision), ("学生的橙子", 1));
    assert_eq!(demo.list_products(None, 10).await.unwrap().items[0].title, "赣南脐橙");
    assert_eq!(student_platform.list_products(None, 10).await.unwrap().items.len(), 1);
    // One shop's secret does not sign for the other's token.
    let wrong = ContractClient::new(ClientConfig::new(base.clone(), student.client_id.clone(), DEMO_CLIENT_SECRET)).unwrap();
    match wrong.shop().await {
        Err(PlatformError::Problem { problem, .. }) => assert_eq!(problem.code, ProblemCode::Unauthorized),
        other => panic!("expected unauthorized, got {other:?}"),
    }
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_captured_write_cannot_be_sent_again_with_the_same_or_a_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let client = common::client(&base);
    let token = client.token().await.unwrap();

    // A product upsert, signed and sent once: revision 1.
    let body = serde_json::to_vec(&common::product("五常大米 10kg", 8990, 50)).unwrap();
    let path = "/v1/products/RICE-10";
    let (request, signature) = common::signed_request(&base, &token, "PUT", path, &body, now_s(), Some("put-1"), DEMO_CLIENT_SECRET, &sign::new_nonce());
    let captured = request.try_clone().unwrap();
    assert!(request.send().await.unwrap().status().is_success());

    // Sent again as captured (same nonce, same key): refused as a replay.
    expect_problem(captured.send().await.unwrap(), 401, ProblemCode::ReplayedRequest).await;

    // Sent again under a new key, which would apply the write again: the key is signed, so
    // the captured signature no longer matches.
    let rekeyed = reqwest::Client::new()
        .put(format!("{base}{path}"))
        .bearer_auth(&token)
        .header(TIMESTAMP_HEADER, now_s().to_string())
        .header(sign::NONCE_HEADER, sign::new_nonce())
        .header(SIGNATURE_HEADER, signature)
        .header(IDEMPOTENCY_HEADER, "put-2")
        .header("content-type", "application/json")
        .body(body.clone());
    expect_problem(rekeyed.send().await.unwrap(), 401, ProblemCode::BadSignature).await;

    // A request without a nonce is refused; the desk's own client sends a fresh one each time.
    let (no_nonce, _) = common::signed_request(&base, &token, "GET", "/v1/shop", b"", now_s(), None, DEMO_CLIENT_SECRET, "");
    expect_problem(no_nonce.send().await.unwrap(), 401, ProblemCode::Unauthorized).await;

    let product: Product = client.get(path).await.unwrap();
    assert_eq!(product.revision, 1, "written once");
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn every_write_in_the_openapi_document_refuses_an_anonymous_caller() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let http = reqwest::Client::new();
    let document: serde_json::Value = http.get(format!("{base}/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut walked = Vec::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, _) in operations.as_object().unwrap() {
            // Writes only; getting a token is how a caller stops being anonymous.
            if method == "get" || path == "/oauth/token" {
                continue;
            }
            let concrete = path.replace('{', "").replace('}', "");
            let request = http
                .request(reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), format!("{base}{concrete}"))
                .header("content-type", "application/json")
                .header("idempotency-key", "anonymous-1")
                .body("{}");
            let status = request.send().await.unwrap().status().as_u16();
            assert!(status == 401 || status == 403, "{} {path} answered {status} to an anonymous caller", method.to_uppercase());
            walked.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    assert!(walked.len() >= 15, "the document lists the writes: {walked:?}");
    assert!(walked.iter().any(|w| w.starts_with("PUT /admin/faults")), "{walked:?}");
    // The admin credential of another sandbox does not open this one.
    let wrong = http.put(format!("{base}/admin/faults")).header(anchordesk_sandbox::ADMIN_TOKEN_HEADER, "guess").json(&FaultSettings::default()).send().await.unwrap();
    expect_problem(wrong, 401, ProblemCode::Unauthorized).await;
    sandbox.shutdown().await.unwrap();
}
