//! Request signing: HMAC-SHA256, keyed by the client secret, over
//! `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nIDEMPOTENCY-KEY\nhex(SHA-256(body))`.
//!
//! The timestamp is Unix seconds and must lie within [`SKEW_WINDOW_S`] of the server's
//! clock, so a captured request cannot be replayed later. Inside the window the nonce does
//! it: the server keeps the nonces it has seen for the window and refuses one seen before.
//! The idempotency key is signed too, so a captured write cannot be sent again under a new
//! key (which would make the server run it again).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Header carrying the request's Unix time in seconds.
pub const TIMESTAMP_HEADER: &str = "x-ad-timestamp";
/// Header carrying the hex signature.
pub const SIGNATURE_HEADER: &str = "x-ad-signature";
/// Header carrying a value unique to each request (at least 16 characters), so that a
/// captured request cannot be sent again within the skew window.
pub const NONCE_HEADER: &str = "x-ad-nonce";
/// Shortest nonce accepted.
pub const NONCE_MIN_LEN: usize = 16;
/// Longest nonce accepted.
pub const NONCE_MAX_LEN: usize = 128;
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
    /// The nonce is too short or too long.
    #[error("nonce must be {NONCE_MIN_LEN}-{NONCE_MAX_LEN} characters, got {0}")]
    BadNonce(usize),
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

/// What a request is signed over besides the secret.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    /// `GET`, `PUT` …
    pub method: &'a str,
    /// The path with its query string, as sent.
    pub path_and_query: &'a str,
    /// Unix seconds of the client's clock (corrected by what the server said of its own).
    pub timestamp_s: i64,
    /// Unique to this request ([`NONCE_HEADER`]).
    pub nonce: &'a str,
    /// The write's `Idempotency-Key`; empty for a read.
    pub idempotency_key: &'a str,
    /// The body as sent (empty for none).
    pub body: &'a [u8],
}

/// The text that is signed.
pub fn string_to_sign(request: &Signed<'_>) -> String {
    let body_hash = hex::encode(Sha256::digest(request.body));
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method.to_ascii_uppercase(),
        request.path_and_query,
        request.timestamp_s,
        request.nonce,
        request.idempotency_key,
        body_hash
    )
}

/// The hex signature of a request.
pub fn sign(secret: &str, request: &Signed<'_>) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(string_to_sign(request).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A fresh nonce: 128 random bits in hex.
pub fn new_nonce() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// Checks a request's timestamp, nonce and signature against the server's clock `now_s`.
/// `timestamp`, `nonce` and `signature` are the headers as received. Whether the nonce was
/// seen before is the server's to check (it keeps them for the window).
///
/// The skew is checked first, so a stale request is reported as stale even when its
/// signature is right.
pub fn verify(secret: &str, request: &Signed<'_>, timestamp: Option<&str>, signature: Option<&str>, now_s: i64) -> Result<(), SignatureError> {
    let timestamp = timestamp.ok_or(SignatureError::Missing(TIMESTAMP_HEADER))?;
    let signature = signature.ok_or(SignatureError::Missing(SIGNATURE_HEADER))?;
    if request.nonce.is_empty() {
        return Err(SignatureError::Missing(NONCE_HEADER));
    }
    if !(NONCE_MIN_LEN..=NONCE_MAX_LEN).contains(&request.nonce.len()) {
        return Err(SignatureError::BadNonce(request.nonce.len()));
    }
    let timestamp_s: i64 = timestamp.trim().parse().map_err(|_| SignatureError::BadTimestamp(timestamp.to_owned()))?;
    let skew_s = timestamp_s - now_s;
    if skew_s.abs() > SKEW_WINDOW_S {
        return Err(SignatureError::Skew { timestamp: timestamp_s, now: now_s, skew_s, window_s: SKEW_WINDOW_S });
    }
    let given = hex::decode(signature.trim()).map_err(|_| SignatureError::Mismatch(signature.to_owned()))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(string_to_sign(&Signed { timestamp_s, ..*request }).as_bytes());
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
    const NONCE: &str = "0123456789abcdef0123";

    fn request<'a>(method: &'a str, path: &'a str, key: &'a str, body: &'a [u8]) -> Signed<'a> {
        Signed { method, path_and_query: path, timestamp_s: 1_700_000_000, nonce: NONCE, idempotency_key: key, body }
    }

    #[test]
    fn a_signed_request_verifies_and_any_change_breaks_it() {
        let body = r#"{"title":"赣南脐橙"}"#.as_bytes();
        let signed = request("PUT", "/v1/products/A1", "desk-1-7", body);
        let signature = sign(SECRET, &signed);
        assert_eq!(verify(SECRET, &signed, Some("1700000000"), Some(&signature), 1_700_000_100), Ok(()));
        let other_nonce = Signed { nonce: "ffffffffffffffffffff", ..signed };
        let cases: [(Signed<'_>, &str); 6] = [
            (request("GET", "/v1/products/A1", "desk-1-7", body), SECRET),
            (request("PUT", "/v1/products/A2", "desk-1-7", body), SECRET),
            (request("PUT", "/v1/products/A1", "desk-1-7", b"{}"), SECRET),
            // The same write under a new idempotency key would run again: the key is signed.
            (request("PUT", "/v1/products/A1", "desk-1-8", body), SECRET),
            (other_nonce, SECRET),
            (signed, "other"),
        ];
        for (changed, secret) in cases {
            let result = verify(secret, &changed, Some("1700000000"), Some(&signature), 1_700_000_000);
            assert!(matches!(result, Err(SignatureError::Mismatch(_))), "{changed:?} with {secret}: {result:?}");
        }
    }

    #[test]
    fn a_timestamp_outside_the_window_is_refused_before_the_signature_is_checked() {
        let signed = Signed { timestamp_s: 1_000, ..request("GET", "/v1/shop", "", b"") };
        let signature = sign(SECRET, &signed);
        assert_eq!(verify(SECRET, &signed, Some("1000"), Some(&signature), 1_000 + SKEW_WINDOW_S), Ok(()));
        let late = verify(SECRET, &signed, Some("1000"), Some(&signature), 1_001 + SKEW_WINDOW_S);
        assert_eq!(late, Err(SignatureError::Skew { timestamp: 1000, now: 1301, skew_s: -301, window_s: SKEW_WINDOW_S }));
        assert_eq!(verify(SECRET, &signed, None, Some(&signature), 1000), Err(SignatureError::Missing(TIMESTAMP_HEADER)));
        let no_nonce = Signed { nonce: "", ..signed };
        assert_eq!(verify(SECRET, &no_nonce, Some("1000"), Some(&signature), 1000), Err(SignatureError::Missing(NONCE_HEADER)));
        let short = Signed { nonce: "abc", ..signed };
        assert_eq!(verify(SECRET, &short, Some("1000"), Some(&signature), 1000), Err(SignatureError::BadNonce(3)));
    }

    #[test]
    fn nonces_differ() {
        let a = new_nonce();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_nonce());
    }
}
