//! The upload-speed probe against the real sandbox: what it measures, the size limit and
//! the signature over its body.

mod common;

use anchordesk_platform::sign::{self, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use anchordesk_platform::*;
use anchordesk_sandbox::DEMO_CLIENT_SECRET;
use common::{expect_problem, now_s};

const MIB: usize = 1 << 20;

/// Sends `body` to the probe as raw bytes, signed over `signed_body` with `secret`.
async fn post_probe(base: &str, token: &str, body: Vec<u8>, signed_body: &[u8], secret: &str) -> reqwest::Response {
    let timestamp = now_s();
    let nonce = sign::new_nonce();
    let signed = sign::Signed { method: "POST", path_and_query: "/v1/probe/upload", timestamp_s: timestamp, nonce: &nonce, idempotency_key: "", body: signed_body };
    let signature = sign::sign(secret, &signed);
    reqwest::Client::new()
        .post(format!("{base}/v1/probe/upload"))
        .bearer_auth(token)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(sign::NONCE_HEADER, nonce)
        .header(SIGNATURE_HEADER, signature)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_one_mib_probe_is_received_whole_and_gives_a_positive_rate() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let platform = common::platform(&sandbox.base_url());

    let probe = platform.probe_upload(MIB).await.unwrap();
    assert_eq!(probe.received_bytes, MIB as i64);
    assert!(probe.server_ms.is_finite() && probe.server_ms >= 0.0, "{probe:?}");
    let empty = platform.probe_upload(0).await.unwrap();
    assert_eq!(empty, UploadProbe { received_bytes: 0, server_ms: 0.0 });

    let kbps = measure_upload_kbps(&platform, MIB).await.unwrap();
    assert!(kbps.is_finite() && kbps > 0.0, "{kbps}");
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_probe_needs_no_idempotency_key_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let token = common::client(&base).token().await.unwrap();
    let body = vec![7u8; 1000];
    // Twice with the same body and no key: both are measured, neither is a replay.
    for _ in 0..2 {
        let response = post_probe(&base, &token, body.clone(), &body, DEMO_CLIENT_SECRET).await;
        assert_eq!(response.status(), 200);
        assert!(response.headers().get(IDEMPOTENCY_HEADER).is_none());
        assert!(response.headers().get(sign::REPLAYED_HEADER).is_none());
        let probe: UploadProbe = response.json().await.unwrap();
        assert_eq!(probe.received_bytes, 1000);
    }
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_nine_mib_probe_is_refused_with_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let token = common::client(&base).token().await.unwrap();
    let body = vec![0x5A; 9 * MIB];
    let response = post_probe(&base, &token, body.clone(), &body, DEMO_CLIENT_SECRET).await;
    let problem = expect_problem(response, 413, ProblemCode::PayloadTooLarge).await;
    assert!(problem.detail.contains(&PROBE_MAX_BYTES.to_string()), "{:?} should name the limit", problem.detail);
    assert!(problem.detail.contains(&(9 * MIB).to_string()), "{:?} should name the size", problem.detail);

    // Through the adapter it is a refusal: sending it again would be refused again.
    let err = common::platform(&base).probe_upload(9 * MIB).await.unwrap_err();
    assert_eq!(err.code(), Some(&ProblemCode::PayloadTooLarge));
    assert!(err.is_refusal() && !err.is_retriable(), "{err}");
    // Exactly the limit is fine.
    let probe = common::platform(&base).probe_upload(PROBE_MAX_BYTES).await.unwrap();
    assert_eq!(probe.received_bytes, PROBE_MAX_BYTES as i64);
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_probe_with_a_bad_signature_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let token = common::client(&base).token().await.unwrap();
    let body = vec![1u8; 4096];

    let forged = post_probe(&base, &token, body.clone(), &body, "not-the-secret").await;
    expect_problem(forged, 401, ProblemCode::BadSignature).await;
    // The body hash is signed: a body swapped in transit does not verify.
    let mut swapped = body.clone();
    swapped[100] ^= 0xFF;
    let tampered = post_probe(&base, &token, swapped, &body, DEMO_CLIENT_SECRET).await;
    expect_problem(tampered, 401, ProblemCode::BadSignature).await;
    let anonymous = reqwest::Client::new().post(format!("{base}/v1/probe/upload")).body(body).send().await.unwrap();
    expect_problem(anonymous, 401, ProblemCode::Unauthorized).await;
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn guessing_a_client_secret_is_locked_out_after_ten_tries() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let token = |secret: &'static str| {
        let base = sandbox.base_url();
        async move {
            reqwest::Client::new()
                .post(format!("{base}/oauth/token"))
                .form(&[("grant_type", "client_credentials"), ("client_id", anchordesk_sandbox::DEMO_CLIENT_ID), ("client_secret", secret)])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(token(DEMO_CLIENT_SECRET).await, 200);
    for _ in 0..10 {
        assert_eq!(token("guess").await, 401);
    }
    // Locked out: even the right secret waits, and the answer says for how long.
    assert_eq!(token(DEMO_CLIENT_SECRET).await, 429);
    assert_eq!(token("guess").await, 429);
}
