//! Push URLs whose stream key never reaches a log.

use std::fmt;
use std::str::FromStr;

use crate::CaptureError;

/// An RTMP(S) ingest URL with its stream key, e.g. `rtmp://live.example.com/app/KEY`.
///
/// `Display` and `Debug` print the key as `****`; only [`StreamUrl::expose`] gives the
/// full URL, for FFmpeg.
#[derive(Clone, PartialEq, Eq)]
pub struct StreamUrl {
    raw: String,
    scheme: String,
    host: String,
    port: u16,
    app: String,
    key_len: usize,
}

impl StreamUrl {
    /// Parses `rtmp://host[:port]/app[/more]/key` or `rtmps://…`.
    ///
    /// The key is the last path segment (with its query string, if any); it must not be empty.
    pub fn parse(raw: &str) -> Result<StreamUrl, CaptureError> {
        let raw = raw.trim();
        let bad = |reason| CaptureError::BadPushUrl {
            url: mask_unparsed(raw),
            reason,
        };
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| bad("no scheme (expected rtmp:// or rtmps://)"))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "rtmp" => 1935,
            "rtmps" => 443,
            _ => return Err(bad("scheme is neither rtmp nor rtmps")),
        };
        let (authority, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("no application and stream key"))?;
        if authority.is_empty() || authority.contains('@') {
            return Err(bad("host is empty or carries credentials"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
                let port: u16 = port
                    .parse()
                    .map_err(|_| bad("port is not a number from 1 to 65535"))?;
                if port == 0 {
                    return Err(bad("port is not a number from 1 to 65535"));
                }
                (host, port)
            }
            _ => (authority, default_port),
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
        if !host_ok {
            return Err(bad("host name has characters a host name cannot have"));
        }
        let (app, key) = path
            .rsplit_once('/')
            .ok_or_else(|| bad("no stream key after the application name"))?;
        if app.is_empty() || app.split('/').any(str::is_empty) {
            return Err(bad("application name is empty"));
        }
        if key.is_empty() {
            return Err(bad("stream key is empty"));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("url contains spaces or control characters"));
        }
        Ok(StreamUrl {
            raw: raw.to_owned(),
            scheme,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            app: app.to_owned(),
            key_len: key.len(),
        })
    }

    /// The full URL including the stream key. Only for handing to FFmpeg.
    pub fn expose(&self) -> &str {
        &self.raw
    }

    /// The ingest host name or address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port (1935 for rtmp and 443 for rtmps unless given).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `rtmp` or `rtmps`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The URL with the stream key replaced by `****`.
    pub fn masked(&self) -> String {
        let without_key = &self.raw[..self.raw.len() - self.key_len];
        format!("{without_key}****")
    }
}

/// Masks everything after the third slash of a string that did not parse, so even a
/// malformed URL with a key in it is safe to log.
fn mask_unparsed(raw: &str) -> String {
    match raw.match_indices('/').nth(2) {
        Some((idx, _)) if idx + 1 < raw.len() => format!("{}****", &raw[..=idx]),
        _ => "****".to_owned(),
    }
}

impl fmt::Display for StreamUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for StreamUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StreamUrl({})", self.masked())
    }
}

impl FromStr for StreamUrl {
    type Err = CaptureError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StreamUrl::parse(s)
    }
}

impl serde::Serialize for StreamUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> serde::Deserialize<'de> for StreamUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        StreamUrl::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_masks() {
        let cases: &[(&str, &str, &str, u16)] = &[
            (
                "rtmp://127.0.0.1:1935/live/sk_ABC123",
                "rtmp://127.0.0.1:1935/live/****",
                "127.0.0.1",
                1935,
            ),
            (
                "rtmp://push.example.com/live/key?auth=xyz",
                "rtmp://push.example.com/live/****",
                "push.example.com",
                1935,
            ),
            (
                "rtmps://a.b/app/sub/k",
                "rtmps://a.b/app/sub/****",
                "a.b",
                443,
            ),
        ];
        for (raw, masked, host, port) in cases {
            let url = StreamUrl::parse(raw).unwrap();
            assert_eq!(url.to_string(), *masked);
            assert_eq!(format!("{url:?}"), format!("StreamUrl({masked})"));
            assert_eq!(url.host(), *host);
            assert_eq!(url.port(), *port);
            assert_eq!(url.expose(), *raw);
        }
    }

    #[test]
    fn rejects_malformed_without_leaking_key() {
        let cases = [
            "http://host/live/secretkey",
            "rtmp://host/live/",
            "rtmp://host/secretkey",
            "rtmp://host:99999/live/secretkey",
            "rtmp:///live/secretkey",
            "rtmp://ho st/live/secretkey",
            "live/secretkey",
        ];
        for raw in cases {
            let err = StreamUrl::parse(raw).unwrap_err();
            let text = err.to_string();
            assert!(!text.contains("secretkey"), "{raw}: {text}");
            assert_eq!(err.code(), crate::ErrorCode::BadPushUrl, "{raw}");
        }
    }
}
