//! Markers: which product or segment was on air when, in media time.

use std::path::Path;

use crate::CaptureError;

/// What a marker marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum MarkerKind {
    /// A product goes on air; it lasts until the next product marker.
    Product,
    /// A run-of-show segment starts; it lasts until the next segment marker.
    Segment,
    /// A point the operator wants to find again.
    Manual,
    /// A scene goes on air; it lasts until the next scene marker.
    Scene,
    /// The video encoder changed mid-recording (a hardware encoder failed and libx264 took
    /// over); the label says why. A point, like a manual marker.
    Encoder,
}

/// One marker, stamped with media time in milliseconds from the start of the recording.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Marker {
    pub kind: MarkerKind,
    pub label: String,
    /// The product's SKU for product markers.
    pub sku: Option<String>,
    pub start_ms: u32,
    /// Filled in when the next marker of the same kind starts, or at stop. Manual
    /// markers end where they start.
    pub end_ms: Option<u32>,
}

/// Closes every open marker: products and segments run until the next marker of their
/// kind or `end_ms`; manual markers are points.
pub(crate) fn close(markers: &[Marker], end_ms: u32) -> Vec<Marker> {
    let mut closed: Vec<Marker> = markers.to_vec();
    closed.sort_by_key(|m| m.start_ms);
    for i in 0..closed.len() {
        let kind = closed[i].kind;
        let end = match kind {
            MarkerKind::Manual | MarkerKind::Encoder => closed[i].start_ms,
            _ => closed[i + 1..]
                .iter()
                .find(|m| m.kind == kind)
                .map_or(end_ms, |m| m.start_ms),
        };
        let marker = &mut closed[i];
        marker.start_ms = marker.start_ms.min(end_ms);
        marker.end_ms = Some(end.clamp(marker.start_ms, end_ms.max(marker.start_ms)));
    }
    closed
}

/// The sidecar file next to a recording: `NAME.markers.json`.
pub fn sidecar_path(recording: &Path) -> std::path::PathBuf {
    let mut name = recording
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".markers.json");
    recording.with_file_name(name)
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Sidecar<'a> {
    recording: String,
    duration_ms: u32,
    markers: &'a [Marker],
}

pub(crate) fn write_sidecar(
    recording: &Path,
    duration_ms: u32,
    markers: &[Marker],
) -> Result<std::path::PathBuf, CaptureError> {
    let path = sidecar_path(recording);
    let body = Sidecar {
        recording: recording
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        duration_ms,
        markers,
    };
    let json = serde_json::to_vec_pretty(&body).expect("markers serialise to JSON");
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json).map_err(CaptureError::io(format!("writing {}", tmp.display())))?;
    std::fs::rename(&tmp, &path)
        .map_err(CaptureError::io(format!("renaming {}", tmp.display())))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(kind: MarkerKind, label: &str, start_ms: u32) -> Marker {
        Marker {
            kind,
            label: label.into(),
            sku: None,
            start_ms,
            end_ms: None,
        }
    }

    #[test]
    fn markers_close_at_next_of_same_kind() {
        let closed = close(
            &[
                m(MarkerKind::Segment, "开场", 0),
                m(MarkerKind::Product, "脐橙", 1000),
                m(MarkerKind::Manual, "口误", 1500),
                m(MarkerKind::Product, "大米", 4000),
                m(MarkerKind::Segment, "福利", 5000),
            ],
            9000,
        );
        let ends: Vec<(&str, u32, u32)> = closed
            .iter()
            .map(|m| (m.label.as_str(), m.start_ms, m.end_ms.unwrap()))
            .collect();
        assert_eq!(
            ends,
            vec![
                ("开场", 0, 5000),
                ("脐橙", 1000, 4000),
                ("口误", 1500, 1500),
                ("大米", 4000, 9000),
                ("福利", 5000, 9000)
            ]
        );
    }

    #[test]
    fn sidecar_name_follows_recording() {
        assert_eq!(
            sidecar_path(Path::new("/r/场次1.mp4")),
            Path::new("/r/场次1.mp4.markers.json")
        );
    }
}
