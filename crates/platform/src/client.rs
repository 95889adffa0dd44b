//! The HTTP client of the open contract.
//!
//! One [`Client`] holds a connection pool, the shop's client credentials, a cached bearer
//! token and the offset between our clock and the platform's. Every call is retried on
//! transport errors, 5xx and 429 with exponential backoff and full jitter (backon), never
//! sooner than `Retry-After`; an expired token is refreshed and a `clock-skew` answer
//! corrects the clock offset before the next attempt.

use crate::error::PlatformError;
use crate::sign::{self, IDEMPOTENCY_HEADER, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::types::{LiveEvent, Problem, ProblemCode, TokenResponse};
use backon::{ExponentialBuilder, Retryable};
use futures_util::{Stream, StreamExt};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

const JSON: &str = "application/json";
const OCTET_STREAM: &str = "application/octet-stream";

/// How a [`Client`] retries one call.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// Backoff ceiling of the first retry (before jitter).
    pub min_delay: Duration,
    /// Backoff ceiling of any retry (before jitter).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_retries: 6, min_delay: Duration::from_millis(100), max_delay: Duration::from_secs(5) }
    }
}

/// Where the platform is and who we are. `Debug` shows the secret as `***`.
#[derive(Clone)]
pub struct ClientConfig {
    /// Base URL, e.g. `http://127.0.0.1:8787`.
    pub base_url: String,
    /// The shop's client id.
    pub client_id: String,
    /// The shop's client secret; it also keys request signatures. Never logged.
    pub client_secret: String,
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// Retries of one call.
    pub retry: RetryPolicy,
    /// A certificate (PEM) to trust besides the public authorities: a platform served with a
    /// certificate of its own (a class's practice shop on a team server on the office
    /// network). Public, not a secret.
    pub ca_pem: Option<String>,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("own_certificate", &self.ca_pem.is_some())
            .finish()
    }
}

/// Refuses a base URL that would carry the client secret (and bring back stream keys) in
/// clear over a network: plain `http://` is accepted only for this computer (loopback).
fn check_base_url(base: &str) -> Result<(), PlatformError> {
    let url = reqwest::Url::parse(base).map_err(|err| PlatformError::Config(format!("base URL {base:?} is not a URL: {err}")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let host = url.host_str().unwrap_or("");
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(())
            } else {
                Err(PlatformError::Config(format!(
                    "base URL {base:?} uses plain http on another computer: the client secret and the stream key would cross the network in clear; use https:// (plain http is accepted only for 127.0.0.1 or localhost)"
                )))
            }
        }
        other => Err(PlatformError::Config(format!("base URL {base:?} is not http(s) (scheme {other:?})"))),
    }
}

impl ClientConfig {
    /// A configuration with a 10 s timeout and the default retry policy.
    pub fn new(base_url: impl Into<String>, client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            ca_pem: None,
        }
    }
}

struct CachedToken {
    value: String,
    refresh_at: Instant,
}

struct Inner {
    http: reqwest::Client,
    base: String,
    client_id: String,
    secret: String,
    retry: RetryPolicy,
    token: tokio::sync::Mutex<Option<CachedToken>>,
    clock_offset_s: AtomicI64,
}

/// A client of the open platform contract. Cheap to clone; clones share the pool and token.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret is left out on purpose.
        f.debug_struct("Client").field("base", &self.inner.base).field("client_id", &self.inner.client_id).finish()
    }
}

/// A raw answer: status, body and whether it replays an earlier write.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Whether the platform replayed the stored first response of this idempotency key.
    pub replayed: bool,
    /// The body.
    pub body: Vec<u8>,
}

impl Client {
    /// Builds a client; no request is sent until the first call.
    ///
    /// Errors: `Config` when the base URL is not http(s), is plain http to another computer,
    /// or the HTTP stack cannot start.
    pub fn new(config: ClientConfig) -> Result<Client, PlatformError> {
        let base = config.base_url.trim_end_matches('/').to_owned();
        check_base_url(&base)?;
        let mut builder = reqwest::Client::builder().timeout(config.timeout).connect_timeout(Duration::from_secs(3)).pool_idle_timeout(Duration::from_secs(30));
        if let Some(pem) = config.ca_pem.as_deref().filter(|pem| !pem.trim().is_empty()) {
            let certificate = reqwest::Certificate::from_pem(pem.as_bytes()).map_err(|err| PlatformError::Config(format!("the platform's certificate cannot be used: {err}")))?;
            builder = builder.add_root_certificate(certificate);
        }
        let http = builder.build().map_err(|err| PlatformError::Config(format!("HTTP client: {err}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                client_id: config.client_id,
                secret: config.client_secret,
                retry: config.retry,
                token: tokio::sync::Mutex::new(None),
                clock_offset_s: AtomicI64::new(0),
            }),
        })
    }

    /// The base URL without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Seconds added to our clock when signing, learnt from `clock-skew` answers.
    pub fn clock_offset_s(&self) -> i64 {
        self.inner.clock_offset_s.load(Ordering::Relaxed)
    }

    /// GETs `path_and_query` and decodes the JSON answer.
    pub async fn get<T: DeserializeOwned>(&self, path_and_query: &str) -> Result<T, PlatformError> {
        let answer = self.call(Method::GET, path_and_query, None, None).await?;
        decode("GET", path_and_query, &answer)
    }

    /// Sends a write with its idempotency key and decodes the JSON answer.
    pub async fn write<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        idempotency_key: &str,
    ) -> Result<T, PlatformError> {
        let bytes = body.map(|body| serde_json::to_vec(body).expect("contract types serialise to JSON"));
        let answer = self.call(method.clone(), path, bytes, Some(idempotency_key)).await?;
        decode(method.as_str(), path, &answer)
    }

    /// Sends one signed request, retrying as the policy says, and returns the raw answer.
    pub async fn call(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, PlatformError> {
        let retry = &self.inner.retry;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(retry.min_delay)
            .with_max_delay(retry.max_delay)
            .with_max_times(retry.max_retries);
        let attempt = || self.send_once(method.clone(), path_and_query, body.as_deref(), idempotency_key, JSON, None);
        attempt
            .retry(backoff)
            .when(PlatformError::is_retriable)
            .adjust(|err: &PlatformError, delay: Option<Duration>| {
                // Full jitter: sleep a uniform share of the exponential ceiling, but never
                // less than the platform asked for.
                delay.map(|ceiling| full_jitter(ceiling).max(err.retry_after().unwrap_or_default()))
            })
            .notify(|err: &PlatformError, delay: Duration| {
                tracing::debug!(%err, ?delay, "platform call failed, retrying");
            })
            .await
    }

    /// POSTs raw bytes (`application/octet-stream`) once, without retrying, and decodes
    /// the JSON answer. For measurements, where a retry would time the backoff instead
    /// of the link; the caller decides whether to try again ([`PlatformError::is_retriable`]).
    ///
    /// `timeout` replaces the client's timeout for this request, so a large body on a
    /// slow link is not cut short.
    pub async fn post_bytes_once<T: DeserializeOwned>(&self, path: &str, bytes: &[u8], timeout: Duration) -> Result<T, PlatformError> {
        let answer = self.send_once(Method::POST, path, Some(bytes), None, OCTET_STREAM, Some(timeout)).await?;
        decode("POST", path, &answer)
    }

    async fn send_once(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&[u8]>,
        idempotency_key: Option<&str>,
        content_type: &'static str,
        timeout: Option<Duration>,
    ) -> Result<Answer, PlatformError> {
        let token = self.token().await?;
        let timestamp = now_s() + self.clock_offset_s();
        let body = body.unwrap_or_default();
        // A fresh nonce for each attempt: a retry is a new request (the idempotency key makes
        // it the same write), a captured copy is refused.
        let nonce = sign::new_nonce();
        let signed = sign::Signed {
            method: method.as_str(),
            path_and_query,
            timestamp_s: timestamp,
            nonce: &nonce,
            idempotency_key: idempotency_key.unwrap_or_default(),
            body,
        };
        let signature = sign::sign(&self.inner.secret, &signed);
        let mut request = self
            .inner
            .http
            .request(method.clone(), format!("{}{}", self.inner.base, path_and_query))
            .bearer_auth(&token)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(NONCE_HEADER, nonce.as_str())
            .header(SIGNATURE_HEADER, signature);
        if let Some(key) = idempotency_key {
            request = request.header(IDEMPOTENCY_HEADER, key);
        }
        if !body.is_empty() {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type).body(body.to_vec());
        }
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        let result = self.finish(method.as_str(), path_and_query, request).await;
        if let Err(PlatformError::Problem { problem, .. }) = &result {
            match problem.code {
                ProblemCode::InvalidToken => *self.inner.token.lock().await = None,
                ProblemCode::ClockSkew => {
                    if let Some(server_ms) = problem.server_time_ms {
                        let offset = server_ms.div_euclid(1000) - now_s();
                        self.inner.clock_offset_s.store(offset, Ordering::Relaxed);
                    }
                }
                _ => {}
            }
        }
        result
    }

    async fn finish(&self, method: &str, path: &str, request: reqwest::RequestBuilder) -> Result<Answer, PlatformError> {
        let transport = |err: reqwest::Error| PlatformError::Transport {
            method: method.to_owned(),
            path: path.to_owned(),
            message: error_chain(&err),
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport)?.to_vec();
        if status < 400 {
            let replayed = headers.get(sign::REPLAYED_HEADER).is_some_and(|value| value == "true");
            return Ok(Answer { status, replayed, body });
        }
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        match serde_json::from_slice::<Problem>(&body) {
            Ok(problem) => Err(PlatformError::Problem { method: method.to_owned(), path: path.to_owned(), problem: Box::new(problem), retry_after }),
            Err(err) => Err(PlatformError::Decode {
                method: method.to_owned(),
                path: path.to_owned(),
                status,
                expected: "Problem",
                message: err.to_string(),
            }),
        }
    }

    /// A bearer token, from the cache or from `POST /oauth/token`.
    pub async fn token(&self) -> Result<String, PlatformError> {
        let mut cached = self.inner.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|token| token.refresh_at > Instant::now()) {
            return Ok(token.value.clone());
        }
        let path = "/oauth/token";
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.inner.client_id.as_str()),
            ("client_secret", self.inner.secret.as_str()),
        ];
        let request = self.inner.http.post(format!("{}{}", self.inner.base, path)).form(&form);
        let answer = self.finish("POST", path, request).await?;
        let token: TokenResponse = decode("POST", path, &answer)?;
        // Refresh early (a tenth of the lifetime, at most a minute) so a token never
        // expires in flight.
        let lifetime = Duration::from_secs(token.expires_in.max(0) as u64);
        let lifetime = lifetime.saturating_sub((lifetime / 10).min(Duration::from_secs(60)));
        *cached = Some(CachedToken { value: token.access_token.clone(), refresh_at: Instant::now() + lifetime });
        Ok(token.access_token)
    }

    /// Opens the Server-Sent Events stream at `path_and_query` and yields its events.
    ///
    /// The stream ends when the connection does; resume with the last `seq` seen.
    pub async fn event_stream(
        &self,
        path_and_query: &str,
    ) -> Result<impl Stream<Item = Result<LiveEvent, PlatformError>> + Send + 'static, PlatformError> {
        let token = self.token().await?;
        let timestamp = now_s() + self.clock_offset_s();
        let nonce = sign::new_nonce();
        let signature = sign::sign(
            &self.inner.secret,
            &sign::Signed { method: "GET", path_and_query, timestamp_s: timestamp, nonce: &nonce, idempotency_key: "", body: b"" },
        );
        // The stream stays open, so it gets no overall timeout; a client-wide timeout
        // would cut it, hence a dedicated client.
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|err| PlatformError::Config(format!("HTTP client: {err}")))?;
        let request = http
            .get(format!("{}{}", self.inner.base, path_and_query))
            .bearer_auth(&token)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(NONCE_HEADER, nonce.as_str())
            .header(SIGNATURE_HEADER, signature)
            .header(reqwest::header::ACCEPT, "text/event-stream");
        let path = path_and_query.to_owned();
        let response = request
            .send()
            .await
            .map_err(|err| PlatformError::Transport { method: "GET".into(), path: path.clone(), message: error_chain(&err) })?;
        let status = response.status().as_u16();
        if status >= 400 {
            let body = response.bytes().await.unwrap_or_default().to_vec();
            let answer = Answer { status, replayed: false, body };
            return Err(match serde_json::from_slice::<Problem>(&answer.body) {
                Ok(problem) => PlatformError::Problem { method: "GET".into(), path, problem: Box::new(problem), retry_after: None },
                Err(err) => PlatformError::Decode { method: "GET".into(), path, status, expected: "Problem", message: err.to_string() },
            });
        }
        let mut parser = SseParser::default();
        let events = response.bytes_stream().flat_map(move |chunk| {
            let items: Vec<Result<LiveEvent, PlatformError>> = match chunk {
                Ok(bytes) => parser
                    .push(&bytes)
                    .into_iter()
                    .map(|data| {
                        serde_json::from_str::<LiveEvent>(&data).map_err(|err| PlatformError::Decode {
                            method: "GET".into(),
                            path: path.clone(),
                            status,
                            expected: "LiveEvent",
                            message: err.to_string(),
                        })
                    })
                    .collect(),
                Err(err) => vec![Err(PlatformError::Transport { method: "GET".into(), path: path.clone(), message: error_chain(&err) })],
            };
            futures_util::stream::iter(items)
        });
        Ok(events)
    }
}

/// Splits a `text/event-stream` body into the `data` of each event.
#[derive(Default)]
struct SseParser {
    buffer: String,
    data: Vec<String>,
}

impl SseParser {
    fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buffer.push_str(&String::from_utf8_lossy(bytes));
        let mut out = Vec::new();
        while let Some(end) = self.buffer.find('\n') {
            let line: String = self.buffer.drain(..=end).collect();
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    out.push(self.data.join("\n"));
                    self.data.clear();
                }
            } else if let Some(value) = line.strip_prefix("data:") {
                self.data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
            }
            // `id:`, `event:`, `retry:` and comments carry nothing the desk needs: the
            // event's own `seq` is its id.
        }
        out
    }
}

fn decode<T: DeserializeOwned>(method: &str, path: &str, answer: &Answer) -> Result<T, PlatformError> {
    serde_json::from_slice(&answer.body).map_err(|err| PlatformError::Decode {
        method: method.to_owned(),
        path: path.to_owned(),
        status: answer.status,
        expected: std::any::type_name::<T>(),
        message: err.to_string(),
    })
}

fn full_jitter(ceiling: Duration) -> Duration {
    ceiling.mul_f64(fastrand::f64())
}

fn now_s() -> i64 {
    crate::now_ms().div_euclid(1000)
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Percent-encodes one path segment (a SKU or an id) for use in a URL path.
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_split_across_chunks_come_out_whole() {
        let mut parser = SseParser::default();
        assert!(parser.push(b"id: 1\ndata: {\"a\"").is_empty());
        let out = parser.push(b":1}\n\n: keep-alive\n\nid: 2\r\ndata: x\r\n\r\n");
        assert_eq!(out, vec!["{\"a\":1}".to_owned(), "x".to_owned()]);
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(encode_segment("GN-橙/5kg"), "GN-%E6%A9%99%2F5kg");
        assert_eq!(encode_segment("A_1.b~"), "A_1.b~");
    }

    #[test]
    fn full_jitter_stays_under_the_ceiling() {
        let ceiling = Duration::from_millis(800);
        let samples: Vec<Duration> = (0..200).map(|_| full_jitter(ceiling)).collect();
        assert!(samples.iter().all(|delay| *delay <= ceiling));
        // Full jitter spreads over the whole range, not just its top.
        assert!(samples.iter().any(|delay| *delay < ceiling / 4));
    }
}

#[cfg(test)]
mod url_tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_except_on_loopback() {
        for ok in ["https://shop.example.com", "http://127.0.0.1:8787", "http://localhost:1", "http://[::1]:80"] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        let Err(PlatformError::Config(message)) = check_base_url("http://192.168.1.20:8787") else { panic!("refused") };
        assert!(message.contains("https://") && message.contains("in clear"), "{message}");
        assert!(check_base_url("ftp://127.0.0.1").is_err());
        assert!(Client::new(ClientConfig::new("http://shop.example.com", "id", "secret")).is_err());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let config = ClientConfig::new("https://shop.example.com", "id", "s3cr3t-value");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t-value") && shown.contains("***"), "{shown}");
    }
}
