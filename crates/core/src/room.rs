//! The live room as the platform reports it: comments, likes, orders and viewer counts,
//! pulled while on air and kept with the session, and what the report makes of them
//! (sales per product, the viewer curve, the audience figures).
//!
//! Ownership: the platform owns what viewers did (orders, sold units, GMV, viewers); the
//! desk owns descriptions, live prices and the line-up. The report therefore counts sales
//! from the platform's order events, never from the desk's stock.

use crate::money::Fen;
use serde::{Deserialize, Serialize};

/// What a room event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum RoomEventKind {
    Comment,
    Like,
    Order,
    Viewers,
    Pinned,
    Status,
    /// A product's stock changed on the platform (sold out, or a stock-out in a rehearsal).
    Stock,
    /// The desk's reply to a comment, as the platform shows it.
    Reply,
}

impl RoomEventKind {
    /// Stable code used in SQLite.
    pub fn code(self) -> &'static str {
        match self {
            RoomEventKind::Comment => "comment",
            RoomEventKind::Like => "like",
            RoomEventKind::Order => "order",
            RoomEventKind::Viewers => "viewers",
            RoomEventKind::Pinned => "pinned",
            RoomEventKind::Status => "status",
            RoomEventKind::Stock => "stock",
            RoomEventKind::Reply => "reply",
        }
    }

    /// Reads a stable code.
    pub fn parse(code: &str) -> Option<RoomEventKind> {
        [
            RoomEventKind::Comment,
            RoomEventKind::Like,
            RoomEventKind::Order,
            RoomEventKind::Viewers,
            RoomEventKind::Pinned,
            RoomEventKind::Status,
            RoomEventKind::Stock,
            RoomEventKind::Reply,
        ]
        .into_iter()
        .find(|kind| kind.code() == code)
    }
}

/// One event of the live room, flattened: which fields are set depends on `kind`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RoomEvent {
    /// The platform's position in its event log (the pull cursor).
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub seq: i64,
    /// When it happened, in the platform's milliseconds since the epoch.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub at_ms: i64,
    pub kind: Option<RoomEventKind>,
    pub sku: Option<String>,
    pub user: Option<String>,
    pub text: Option<String>,
    /// Units of an order, likes of a like event, stock left of a stock event, arrivals of
    /// a viewers event.
    pub quantity: Option<i32>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub amount_fen: Option<i64>,
    pub online: Option<i32>,
    /// The comment a reply answers.
    #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
    pub ref_seq: Option<i64>,
    /// The scenario event a scripted comment came from (rehearsals).
    pub scripted: Option<String>,
}

/// One thing that happened in the live room, with the alert the console shows for it
/// (a complaint, an attempt to trade off the platform, a minor, a question).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RoomItem {
    pub event: RoomEvent,
    pub alert: Option<crate::live::CommentAlert>,
}

impl RoomItem {
    /// The event with its alert: only comments are classified.
    pub fn of(event: RoomEvent) -> RoomItem {
        let alert = match event.kind {
            Some(RoomEventKind::Comment) => event.text.as_deref().and_then(crate::live::comment_alert),
            _ => None,
        };
        RoomItem { event, alert }
    }
}

/// A page of the room as the desk keeps it: the events after a cursor, where the next page
/// starts, the desk's replies so far and, when asked for, the figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RoomPage {
    pub events: Vec<RoomItem>,
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub next_after: i64,
    pub replies: Vec<LiveReply>,
    /// Sales per product, viewers and audience figures so far (it reads the whole room).
    pub summary: Option<RoomSummary>,
}

/// A reply the desk sent to a viewer's comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LiveReply {
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub comment_seq: i64,
    pub text: String,
    /// Milliseconds from the start of the recording.
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub media_ms: i64,
    pub at: String,
    /// Error findings of the claims linter in the text when it was typed.
    pub lint_errors: i32,
    /// Held back by the linter (an error finding): kept as evidence, never sent.
    pub held: bool,
    pub findings: Vec<anchordesk_claims::Finding>,
}

/// Sales of one product in one session, from the platform's orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProductSales {
    pub sku: String,
    pub orders: i32,
    pub units: i32,
    pub gmv: Fen,
}

/// Viewers online at a moment of the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ViewerPoint {
    /// Seconds from the start of the session.
    pub second: i32,
    pub online: i32,
}

/// The session's audience figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AudienceFigures {
    pub peak_viewers: i32,
    /// Arrivals over the session (a viewer who comes back counts again).
    pub total_viewers: i32,
    pub comments: i32,
    pub likes: i32,
    pub orders: i32,
    pub units: i32,
    pub gmv: Fen,
    /// Comments flagged as needing attention (complaints, off-platform, minors).
    pub risky_comments: i32,
    pub replies: i32,
}

/// What the report makes of the room's events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RoomSummary {
    /// Per SKU, in the order of `skus` (products without orders included, at zero), then
    /// any SKU sold that is not in the line-up.
    pub sales: Vec<ProductSales>,
    pub viewer_curve: Vec<ViewerPoint>,
    pub audience: AudienceFigures,
}

/// Most points the viewer curve keeps: a long broadcast's curve is thinned, not truncated.
pub const MAX_CURVE_POINTS: usize = 600;

/// Every other point, the highest of each pair (a peak survives thinning).
fn thin(curve: &[ViewerPoint]) -> Vec<ViewerPoint> {
    curve.chunks(2).map(|pair| *pair.iter().max_by_key(|p| p.online).expect("chunks are not empty")).collect()
}

/// Sums the room's events of a session that started at `started_ms` (platform clock).
pub fn summarise(events: &[RoomEvent], replies: usize, started_ms: i64, skus: &[String]) -> RoomSummary {
    let mut sales: Vec<ProductSales> =
        skus.iter().map(|sku| ProductSales { sku: sku.clone(), orders: 0, units: 0, gmv: Fen(0) }).collect();
    let mut summary = RoomSummary { audience: AudienceFigures { replies: replies as i32, ..AudienceFigures::default() }, ..RoomSummary::default() };
    for event in events {
        let audience = &mut summary.audience;
        match event.kind {
            Some(RoomEventKind::Comment) => {
                audience.comments += 1;
                let risky = event.text.as_deref().and_then(crate::live::comment_alert);
                if matches!(risky, Some(alert) if alert != crate::live::CommentAlert::Question) {
                    audience.risky_comments += 1;
                }
            }
            Some(RoomEventKind::Like) => audience.likes += event.quantity.unwrap_or(0),
            Some(RoomEventKind::Order) => {
                let units = event.quantity.unwrap_or(0);
                let amount = event.amount_fen.unwrap_or(0);
                audience.orders += 1;
                audience.units += units;
                audience.gmv = Fen(audience.gmv.0 + amount);
                let sku = event.sku.clone().unwrap_or_default();
                let row = match sales.iter().position(|s| s.sku == sku) {
                    Some(index) => &mut sales[index],
                    None => {
                        sales.push(ProductSales { sku, orders: 0, units: 0, gmv: Fen(0) });
                        sales.last_mut().expect("just pushed")
                    }
                };
                row.orders += 1;
                row.units += units;
                row.gmv = Fen(row.gmv.0 + amount);
            }
            Some(RoomEventKind::Viewers) => {
                let online = event.online.unwrap_or(0);
                audience.peak_viewers = audience.peak_viewers.max(online);
                audience.total_viewers += event.quantity.unwrap_or(0);
                let second = ((event.at_ms - started_ms).max(0) / 1000) as i32;
                match summary.viewer_curve.last_mut() {
                    // One point per second: the last count in that second stands.
                    Some(last) if last.second == second => last.online = online,
                    _ => summary.viewer_curve.push(ViewerPoint { second, online }),
                }
                if summary.viewer_curve.len() > 2 * MAX_CURVE_POINTS {
                    summary.viewer_curve = thin(&summary.viewer_curve);
                }
            }
            _ => {}
        }
    }
    summary.sales = sales;
    summary
}

/// The viewer curve as an inline SVG polyline (for the printable report).
pub fn viewer_curve_svg(curve: &[ViewerPoint], width: u32, height: u32) -> String {
    let points: Vec<(i64, i64)> = curve.iter().map(|p| (i64::from(p.second), i64::from(p.online))).collect();
    let peak = curve.iter().map(|p| p.online).max().unwrap_or(0);
    anchordesk_text::line_svg(&points, width, height, &format!("在线人数曲线，峰值 {peak}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, at_ms: i64, kind: RoomEventKind) -> RoomEvent {
        RoomEvent { seq, at_ms, kind: Some(kind), ..RoomEvent::default() }
    }

    #[test]
    fn orders_viewers_and_comments_add_up_per_product() {
        let skus = vec!["A".to_string(), "B".to_string()];
        let events = vec![
            RoomEvent { online: Some(10), ..event(1, 1_000, RoomEventKind::Viewers) },
            RoomEvent { online: Some(14), ..event(2, 1_500, RoomEventKind::Viewers) },
            RoomEvent { sku: Some("A".into()), quantity: Some(2), amount_fen: Some(9_980), ..event(3, 2_000, RoomEventKind::Order) },
            RoomEvent { sku: Some("A".into()), quantity: Some(1), amount_fen: Some(4_990), ..event(4, 3_000, RoomEventKind::Order) },
            RoomEvent { sku: Some("Z".into()), quantity: Some(1), amount_fen: Some(100), ..event(5, 3_500, RoomEventKind::Order) },
            RoomEvent { text: Some("加微信私下转账".into()), ..event(6, 4_000, RoomEventKind::Comment) },
            RoomEvent { text: Some("几天到？".into()), ..event(7, 4_000, RoomEventKind::Comment) },
            RoomEvent { quantity: Some(30), ..event(8, 5_000, RoomEventKind::Like) },
            RoomEvent { online: Some(8), ..event(9, 61_000, RoomEventKind::Viewers) },
        ];
        let summary = summarise(&events, 1, 0, &skus);
        assert_eq!(
            summary.sales,
            vec![
                ProductSales { sku: "A".into(), orders: 2, units: 3, gmv: Fen(14_970) },
                ProductSales { sku: "B".into(), orders: 0, units: 0, gmv: Fen(0) },
                ProductSales { sku: "Z".into(), orders: 1, units: 1, gmv: Fen(100) },
            ]
        );
        assert_eq!(summary.viewer_curve, vec![ViewerPoint { second: 1, online: 14 }, ViewerPoint { second: 61, online: 8 }]);
        let a = &summary.audience;
        assert_eq!((a.peak_viewers, a.comments, a.risky_comments, a.likes, a.orders, a.units, a.gmv, a.replies), (14, 2, 1, 30, 3, 4, Fen(15_070), 1));
        let svg = viewer_curve_svg(&summary.viewer_curve, 200, 50);
        assert!(svg.starts_with("<svg") && svg.contains("points=\"3.3,"), "{svg}");
        assert_eq!(viewer_curve_svg(&[], 200, 50), "");
    }
}

#[cfg(test)]
mod curve_tests {
    use super::*;

    #[test]
    fn a_long_broadcasts_curve_is_thinned_and_keeps_its_peak() {
        let events: Vec<RoomEvent> = (0..5_000)
            .map(|i| RoomEvent {
                seq: i,
                at_ms: i * 2_000,
                kind: Some(RoomEventKind::Viewers),
                online: Some(if i == 3_333 { 999 } else { 10 }),
                ..RoomEvent::default()
            })
            .collect();
        let summary = summarise(&events, 0, 0, &[]);
        assert!(summary.viewer_curve.len() <= 2 * MAX_CURVE_POINTS, "{}", summary.viewer_curve.len());
        assert!(summary.viewer_curve.iter().any(|p| p.online == 999), "the peak survives");
        assert_eq!(summary.audience.peak_viewers, 999);
        assert!(summary.viewer_curve.windows(2).all(|w| w[0].second < w[1].second));
    }
}
