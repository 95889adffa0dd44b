//! Shared by the sandbox's integration tests.
#![allow(dead_code)]

pub mod desk;
pub mod outbox;

use anchordesk_platform::sign::{self, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use anchordesk_platform::{AnchorUpsert, BroadcastCreate, Client, ClientConfig, Platform, Problem, ProblemCode, RetryPolicy, ContractClient};
use anchordesk_sandbox::{Config, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, RunningSandbox, Sandbox};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// The admin credential of the test sandboxes.
pub const ADMIN: &str = "sandbox-tests-admin-credential";

/// A config for tests: a free loopback port, no rate limit, audience only on demand.
pub fn test_config(dir: &Path) -> Config {
    let mut config = Config::new(dir);
    config.admin_token = Some(ADMIN.to_owned());
    config.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    config.rate_limit = None;
    config.audience_tick = None;
    config
}

pub async fn start(dir: &Path) -> RunningSandbox {
    Sandbox::start(test_config(dir)).await.expect("sandbox starts")
}

/// A client of the demo shop with quick retries.
pub fn client(base_url: &str) -> Client {
    let mut config = ClientConfig::new(base_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
    config.timeout = Duration::from_secs(5);
    config.retry = RetryPolicy { max_retries: 4, min_delay: Duration::from_millis(20), max_delay: Duration::from_millis(300) };
    Client::new(config).expect("client config is valid")
}

pub fn platform(base_url: &str) -> ContractClient {
    ContractClient::from_client(client(base_url))
}

/// A client with no retries, to see each answer as it is.
pub fn raw_client(base_url: &str) -> Client {
    let mut config = ClientConfig::new(base_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
    config.retry = RetryPolicy { max_retries: 0, min_delay: Duration::from_millis(1), max_delay: Duration::from_millis(1) };
    Client::new(config).expect("client config is valid")
}

pub fn product(title: &str, price_fen: i64, stock: i64) -> anchordesk_platform::ProductUpsert {
    anchordesk_platform::ProductUpsert {
        title: title.to_owned(),
        description: format!("{title}，产地直发"),
        price_fen,
        stock,
        origin: Some("江西赣州".to_owned()),
    }
}

/// Anchor a1, product GN-1 (¥59.90, 100 in stock) and broadcast b1, live, with GN-1 in
/// the bag at ¥39.90.
pub async fn setup_live_broadcast(platform: &ContractClient) {
    platform.upsert_anchor("setup-a1", "a1", &AnchorUpsert { name: "李主播".into(), qualifications: vec![] }).await.unwrap();
    platform.upsert_product("setup-p1", "GN-1", &product("赣南脐橙 5kg", 5990, 100)).await.unwrap();
    let broadcast = BroadcastCreate {
        id: "b1".into(),
        title: "赣南脐橙助农专场".into(),
        anchor_id: Some("a1".into()),
        products: vec!["GN-1".into()],
        scheduled_start_ms: None,
    };
    platform.create_broadcast("setup-b1", &broadcast).await.unwrap();
    platform.start_broadcast("setup-start", "b1").await.unwrap();
    platform.list_in_bag("setup-bag", "b1", "GN-1", 3990).await.unwrap();
}

/// Sends a signed request by hand, so tests can break it on purpose.
#[allow(clippy::too_many_arguments)]
pub async fn signed(base: &str, token: &str, method: &str, path: &str, body: &[u8], timestamp: i64, key: Option<&str>, secret: &str) -> reqwest::Response {
    let (request, _) = signed_request(base, token, method, path, body, timestamp, key, secret, &sign::new_nonce());
    request.send().await.unwrap()
}

/// A signed request with the given nonce, built but not sent (it can be cloned and sent
/// again, as an attacker who captured it would), and its signature.
#[allow(clippy::too_many_arguments)]
pub fn signed_request(
    base: &str,
    token: &str,
    method: &str,
    path: &str,
    body: &[u8],
    timestamp: i64,
    key: Option<&str>,
    secret: &str,
    nonce: &str,
) -> (reqwest::RequestBuilder, String) {
    let signature = sign::sign(
        secret,
        &sign::Signed { method, path_and_query: path, timestamp_s: timestamp, nonce, idempotency_key: key.unwrap_or_default(), body },
    );
    let mut request = reqwest::Client::new()
        .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), format!("{base}{path}"))
        .bearer_auth(token)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(sign::NONCE_HEADER, nonce)
        .header(SIGNATURE_HEADER, signature.clone())
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(key) = key {
        request = request.header(IDEMPOTENCY_HEADER, key);
    }
    (request, signature)
}

/// Checks that `response` is an `application/problem+json` answer with this status and code.
pub async fn expect_problem(response: reqwest::Response, status: u16, code: ProblemCode) -> Problem {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let value: serde_json::Value = response.json().await.unwrap();
    for field in ["type", "title", "status", "detail", "code"] {
        assert!(value.get(field).is_some(), "problem without {field}: {value}");
    }
    let problem: Problem = serde_json::from_value(value).unwrap();
    assert_eq!(problem.status, status);
    assert_eq!(problem.code, code);
    assert_eq!(problem.type_uri, format!("/problems/{}", code.as_str()));
    problem
}

pub fn now_s() -> i64 {
    anchordesk_platform::now_ms() / 1000
}
