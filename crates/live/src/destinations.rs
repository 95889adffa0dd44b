//! Push destinations besides the platform's ingest (a second platform, a company's own
//! server): a name and an RTMP(S) URL with its stream key. The list lives in the system's
//! credential store, never in SQLite or a log; the window sees the URLs masked. Going live
//! (not rehearsing) pushes to each of them as well, each with its own reconnect. A
//! destination set to the second picture gets the desk's 第二画面 (Settings → Devices)
//! instead of the broadcast's.

use anchordesk_capture::{MAX_PUSHES, StreamUrl};
use anchordesk_core::UiError;
use anchordesk_core::validate::{FieldError, FieldErrorCode};
use serde::{Deserialize, Serialize};

/// A destination as kept (with its key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Kept {
    name: String,
    url: String,
    /// Pushes the second picture.
    #[serde(default)]
    second: bool,
}

/// A destination as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DestinationView {
    pub name: String,
    /// The URL with its stream key masked.
    pub url: String,
    /// Pushes the second picture (第二画面) rather than the broadcast's.
    pub second: bool,
}

/// Besides the platform's ingest, at most this many.
pub const MAX_EXTRA: usize = MAX_PUSHES - 1;

fn read() -> Result<Vec<Kept>, UiError> {
    match anchordesk_desk_sync::secrets::push_destinations().map_err(UiError::internal)? {
        Some(json) => serde_json::from_str(&json).map_err(|err| UiError::internal(format!("the kept push destinations do not read: {err}"))),
        None => Ok(Vec::new()),
    }
}

fn write(kept: &[Kept]) -> Result<Vec<DestinationView>, UiError> {
    let json = if kept.is_empty() { String::new() } else { serde_json::to_string(kept).map_err(UiError::internal)? };
    anchordesk_desk_sync::secrets::save_push_destinations(&json).map_err(UiError::internal)?;
    Ok(views(kept))
}

fn views(kept: &[Kept]) -> Vec<DestinationView> {
    kept.iter()
        .map(|k| DestinationView { name: k.name.clone(), url: StreamUrl::parse(&k.url).map(|u| u.masked()).unwrap_or_default(), second: k.second })
        .collect()
}

/// Adds (or replaces, by name) a destination in `kept`; refused: no name, a URL that is not
/// RTMP(S) with a stream key, the same URL twice, or more than [`MAX_EXTRA`].
fn with(mut kept: Vec<Kept>, name: &str, url: &str, second: bool) -> Result<Vec<Kept>, UiError> {
    let refuse = |field: &str, code, value: String| Err(UiError::invalid(vec![FieldError::new(field, code, value)]));
    let name = name.trim();
    if name.is_empty() {
        return refuse("name", FieldErrorCode::Required, String::new());
    }
    let parsed = match StreamUrl::parse(url.trim()) {
        Ok(parsed) => parsed,
        Err(_) => return refuse("url", FieldErrorCode::UnknownValue, String::new()),
    };
    kept.retain(|k| k.name != name);
    if kept.iter().any(|k| StreamUrl::parse(&k.url).is_ok_and(|u| u.expose() == parsed.expose())) {
        return refuse("url", FieldErrorCode::Taken, parsed.masked());
    }
    if kept.len() >= MAX_EXTRA {
        return refuse("name", FieldErrorCode::TooLarge, MAX_EXTRA.to_string());
    }
    kept.push(Kept { name: name.to_owned(), url: parsed.expose().to_owned(), second });
    Ok(kept)
}

/// The destinations, masked.
pub fn list() -> Result<Vec<DestinationView>, UiError> {
    Ok(views(&read()?))
}

/// Adds or replaces a destination (`second`: it pushes the second picture); returns the
/// list, masked.
pub fn save(name: &str, url: &str, second: bool) -> Result<Vec<DestinationView>, UiError> {
    write(&with(read()?, name, url, second)?)
}

/// Removes a destination; returns the list, masked.
pub fn delete(name: &str) -> Result<Vec<DestinationView>, UiError> {
    let mut kept = read()?;
    kept.retain(|k| k.name != name);
    write(&kept)
}

/// The URLs to push to besides the platform's ingest, each with whether it takes the second
/// picture. A credential store that cannot be read is said in the log and pushes nowhere
/// extra: the broadcast still goes on air.
pub(crate) fn urls() -> Vec<(String, StreamUrl, bool)> {
    match read() {
        Ok(kept) => kept.iter().filter_map(|k| Some((k.name.clone(), StreamUrl::parse(&k.url).ok()?, k.second))).collect(),
        Err(err) => {
            tracing::warn!(%err.message, "push destinations not read; only the platform's ingest is pushed");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_checked_replaced_by_name_and_shown_masked() {
        let one = with(Vec::new(), " 视频号 ", "rtmp://push.example.com/live/sk_ONE", true).unwrap();
        assert_eq!(views(&one), vec![DestinationView { name: "视频号".into(), url: "rtmp://push.example.com/live/****".into(), second: true }]);
        let replaced = with(one.clone(), "视频号", "rtmps://push.example.com:443/live/sk_TWO", false).unwrap();
        assert_eq!(replaced.len(), 1);
        assert!(replaced[0].url.ends_with("sk_TWO") && !replaced[0].second);
        let code = |r: Result<Vec<Kept>, UiError>| {
            let e = r.unwrap_err();
            assert!(!e.message.contains("sk_"), "no key in the error: {}", e.message);
            (e.fields[0].field.clone(), e.fields[0].code)
        };
        assert_eq!(code(with(one.clone(), "", "rtmp://a/live/k", false)), ("name".into(), FieldErrorCode::Required));
        assert_eq!(code(with(one.clone(), "B", "http://a/live/k", false)), ("url".into(), FieldErrorCode::UnknownValue));
        assert_eq!(code(with(one.clone(), "B", "rtmp://push.example.com/live/sk_ONE", false)), ("url".into(), FieldErrorCode::Taken));
        let mut full = one;
        for n in 0..MAX_EXTRA - 1 {
            full = with(full, &format!("d{n}"), &format!("rtmp://h{n}.example.com/live/k"), false).unwrap();
        }
        assert_eq!(code(with(full, "one more", "rtmp://x.example.com/live/k", false)), ("name".into(), FieldErrorCode::TooLarge));
    }
}
