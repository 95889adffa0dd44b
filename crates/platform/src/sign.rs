//! Request signing: HMAC-SHA256, keyed by the client secret, over
//! `METHOD\nPATH?QUERY\nTIMESTAMP\nhex(SHA-256(body))`.
//!
//! The timestamp is Unix seconds and must lie within [`SKEW_WINDOW_S`] of the server's
//! clock, so a captured request cannot be replayed later; inside the window a replayed
//! write is harmless because it carries the same `Idempotency-Key`.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Header carrying the request's Unix time in seconds.
pub const TIMESTAMP_HEADER: &str = "x-ad-timestamp";
/// Header carrying the hex signature.
pub const SIGNATURE_HEADER: &str = "x-ad-signature";
/// Header carrying the idempotency key of a write.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Header set on a response that replays a stored first response.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How far, in seconds, a request's timestamp may be from the server's clock.
pub const SKEW_WINDOW_S: i64 = 300;

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A header is absent.
    #[error("header {0} is missing")]
    Missing(&'static str),
    /// The timestamp is not an integer.
    #[error("timestamp {0:?} is not Unix seconds")]
    BadTimestamp(String),
    /// The timestamp is too far from the server's clock.
    #[error("timestamp {timestamp} is {skew_s} s from the server's clock {now} (window {window_s} s)")]
    Skew {
        /// The request's timestamp.
        timestamp: i64,
        /// The server's clock.
        now: i64,
        /// `timestamp - now`.
        skew_s: i64,
        /// The allowed window.
        window_s: i64,
    },
    /// The signature does not match.
    #[error("signature {0:?} does not match the request")]
    Mismatch(String),
}

/// The text that is signed.
pub fn string_to_sign(method: &str, path_and_query: &str, timestamp_s: i64, body: &[u8]) -> String {
    let body_hash = hex::encode(Sha256::digest(body));
    format!("{}\n{}\n{}\n{}", method.to_ascii_uppercase(), path_and_query, timestamp_s, body_hash)
}

/// The hex signature of a request.
pub fn sign(secret: &str, method: &str, path_and_query: &str, timestamp_s: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(string_to_sign(method, path_and_query, timestamp_s, body).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a request's timestamp and signature against the server's clock `now_s`.
///
/// The skew is checked first, so a stale request is reported as stale even when its
/// signature is right.
pub fn verify(
    secret: &str,
    method: &str,
    path_and_query: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_s: i64,
) -> Result<(), SignatureError> {
    let timestamp = timestamp.ok_or(SignatureError::Missing(TIMESTAMP_HEADER))?;
    let signature = signature.ok_or(SignatureError::Missing(SIGNATURE_HEADER))?;
    let timestamp_s: i64 = timestamp.trim().parse().map_err(|_| SignatureError::BadTimestamp(timestamp.to_owned()))?;
    let skew_s = timestamp_s - now_s;
    if skew_s.abs() > SKEW_WINDOW_S {
        return Err(SignatureError::Skew { timestamp: timestamp_s, now: now_s, skew_s, window_s: SKEW_WINDOW_S });
    }
    let given = hex::decode(signature.trim()).map_err(|_| SignatureError::Mismatch(signature.to_owned()))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(string_to_sign(method, path_and_query, timestamp_s, body).as_bytes());
    // verify_slice compares in constant time.
    mac.verify_slice(&given).map_err(|_| SignatureError::Mismatch(signature.to_owned()))
}

/// Hex SHA-256 of a body, used to tell an idempotent replay from a different request.
pub fn body_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cret";

    #[test]
    fn a_signed_request_verifies_and_any_change_breaks_it() {
        let body = r#"{"title":"赣南脐橙"}"#.as_bytes();
        let signature = sign(SECRET, "PUT", "/v1/products/A1", 1_700_000_000, body);
        let ok = verify(SECRET, "PUT", "/v1/products/A1", Some("1700000000"), Some(&signature), body, 1_700_000_100);
        assert_eq!(ok, Ok(()));
        let cases: [(&str, &str, &[u8], &str); 4] = [
            ("GET", "/v1/products/A1", body, SECRET),
            ("PUT", "/v1/products/A2", body, SECRET),
            ("PUT", "/v1/products/A1", b"{}", SECRET),
            ("PUT", "/v1/products/A1", body, "other"),
        ];
        for (method, path, body, secret) in cases {
            let result = verify(secret, method, path, Some("1700000000"), Some(&signature), body, 1_700_000_000);
            assert!(matches!(result, Err(SignatureError::Mismatch(_))), "{method} {path} with {secret}: {result:?}");
        }
    }

    #[test]
    fn a_timestamp_outside_the_window_is_refused_before_the_signature_is_checked() {
        let signature = sign(SECRET, "GET", "/v1/shop", 1_000, b"");
        assert_eq!(verify(SECRET, "GET", "/v1/shop", Some("1000"), Some(&signature), b"", 1_000 + SKEW_WINDOW_S), Ok(()));
        let late = verify(SECRET, "GET", "/v1/shop", Some("1000"), Some(&signature), b"", 1_001 + SKEW_WINDOW_S);
        assert_eq!(late, Err(SignatureError::Skew { timestamp: 1000, now: 1301, skew_s: -301, window_s: SKEW_WINDOW_S }));
        let missing = verify(SECRET, "GET", "/v1/shop", None, Some(&signature), b"", 1000);
        assert_eq!(missing, Err(SignatureError::Missing(TIMESTAMP_HEADER)));
    }
}
