//! HTTPS without a proxy: the server serves its API over rustls with the given certificate,
//! listens beyond loopback only with TLS (or behind a proxy), and a wrong key is refused at
//! start with a message that names the file.

use anchordesk_server::testkit::TestPostgres;
use anchordesk_server::{Config, ServerError, TlsFiles, admin, db};

fn self_signed(dir: &std::path::Path) -> (TlsFiles, String) {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let files = TlsFiles { cert: dir.join("team.crt"), key: dir.join("team.key") };
    std::fs::write(&files.cert, generated.cert.pem()).unwrap();
    std::fs::write(&files.key, generated.key_pair.serialize_pem()).unwrap();
    (files, generated.cert.pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_is_served_over_tls_with_the_given_certificate() {
    let pg = TestPostgres::start();
    let dir = tempfile::tempdir().unwrap();
    let (files, cert_pem) = self_signed(dir.path());
    // Any address may be given with TLS (this one is still loopback, for the test).
    let server = anchordesk_server::start(Config { database_url: pg.url(), listen: "127.0.0.1:0".parse().unwrap(), behind_proxy: false, tls: Some(files.clone()), data_dir: None }).await.unwrap();
    let url = server.base_url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let pool = db::connect(&pg.url()).unwrap();
    let org = admin::create_org(&pool, "县域助农", "chief@county.cn").await.unwrap();

    // A client that trusts the certificate signs in over HTTPS.
    let trusted = reqwest::Client::builder().add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap()).build().unwrap();
    let answer = trusted.post(format!("{url}/api/v1/sign-in")).json(&serde_json::json!({ "email": "chief@county.cn", "password": org.one_time_password })).send().await.unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    let session: serde_json::Value = answer.json().await.unwrap();
    assert!(session["token"].as_str().is_some_and(|t| !t.is_empty()));

    // One that does not trust it is refused by its own check; plain HTTP gets no answer.
    assert!(reqwest::Client::new().get(format!("{url}/api/v1/me")).send().await.is_err(), "an unknown certificate is not accepted silently");
    let plain = url.replacen("https://", "http://", 1);
    let answered_plain = reqwest::Client::new().get(format!("{plain}/api/v1/me")).send().await.is_ok_and(|r| r.status().is_success());
    assert!(!answered_plain, "plain HTTP is not served on the TLS port");
    // The server goes on serving after a failed handshake.
    let again = trusted.get(format!("{url}/api/v1/me")).send().await.unwrap();
    assert_eq!(again.status(), reqwest::StatusCode::UNAUTHORIZED);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_is_not_the_certificates_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = self_signed(dir.path());
    let other = rcgen::KeyPair::generate().unwrap();
    std::fs::write(&files.key, other.serialize_pem()).unwrap();
    // The certificate is checked before the database is reached.
    let refused = anchordesk_server::start(Config { database_url: "postgres://nobody@127.0.0.1:1/none".into(), listen: "0.0.0.0:0".parse().unwrap(), behind_proxy: false, tls: Some(files.clone()), data_dir: None }).await;
    let Err(ServerError::Tls(message)) = refused else { panic!("a mismatched key must be refused") };
    assert!(message.contains("team.crt") && message.contains("team.key"), "{message}");

    std::fs::write(&files.cert, "not a certificate").unwrap();
    let Err(err) = anchordesk_server::start(Config { database_url: "postgres://nobody@127.0.0.1:1/none".into(), listen: "127.0.0.1:0".parse().unwrap(), behind_proxy: false, tls: Some(files), data_dir: None }).await else {
        panic!("a file without a certificate must be refused")
    };
    assert!(err.to_string().contains("--tls-cert"), "{err}");

    // Without TLS, a non-loopback address is refused unless a proxy is in front.
    let Err(plain) = anchordesk_server::start(Config { database_url: "postgres://nobody@127.0.0.1:1/none".into(), listen: "0.0.0.0:0".parse().unwrap(), behind_proxy: false, tls: None, data_dir: None }).await else {
        panic!("plain HTTP beyond loopback must be refused")
    };
    assert!(plain.to_string().contains("--behind-proxy"), "{plain}");
}
