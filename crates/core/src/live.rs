//! A broadcast on air: its session, the markers stamped while live, and the report
//! (复盘) that compares what was planned with what happened.

use crate::model::{BroadcastId, LineupItemId};
use crate::money::Fen;
use serde::{Deserialize, Serialize};

/// Row id of a live session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SessionId(#[cfg_attr(feature = "specta", specta(type = i32))] pub i64);

/// Where a session stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum SessionStatus {
    Live,
    Ended,
    /// Found still live when the app started again (a crash or a kill): the recording is
    /// kept and the team decides to resume or close it.
    Interrupted,
}

impl SessionStatus {
    /// Stable code used in SQLite.
    pub fn code(self) -> &'static str {
        match self {
            SessionStatus::Live => "live",
            SessionStatus::Ended => "ended",
            SessionStatus::Interrupted => "interrupted",
        }
    }

    /// Reads a stable code.
    pub fn parse(code: &str) -> Option<SessionStatus> {
        match code {
            "live" => Some(SessionStatus::Live),
            "ended" => Some(SessionStatus::Ended),
            "interrupted" => Some(SessionStatus::Interrupted),
            _ => None,
        }
    }
}

/// A session found live at start (a crash or a kill), with its broadcast's title; its
/// recording is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InterruptedSession {
    pub session: LiveSession,
    pub broadcast_title: String,
}

/// One go-live of a broadcast.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LiveSession {
    pub id: SessionId,
    pub broadcast_id: BroadcastId,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub status: SessionStatus,
    pub recording_path: String,
    /// A practice run: nothing goes to a real platform.
    pub rehearsal: bool,
    /// The recording's length, once the session ended cleanly.
    #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
    pub duration_ms: Option<i64>,
    /// The pipeline's health when the session ended (absent after a crash).
    pub dropped_frames: Option<i32>,
    pub push_reconnects: Option<i32>,
    /// Wall-clock milliseconds at the recording's time 0 (set when the recording starts).
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub media_origin_ms: Option<i64>,
    /// A rehearsal kept from a real platform: the platform hears nothing of it.
    pub platform_silent: bool,
}

/// What a marker marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum LiveMarkerKind {
    /// A line-up item goes on air (讲解 starts).
    Product,
    Segment,
    Manual,
    /// A line-up item taken off the shopping bag (下架), e.g. when it sold out.
    TakeOff,
    /// A scene goes on air (its name is the label).
    Scene,
}

impl LiveMarkerKind {
    /// Stable code used in SQLite.
    pub fn code(self) -> &'static str {
        match self {
            LiveMarkerKind::Product => "product",
            LiveMarkerKind::Segment => "segment",
            LiveMarkerKind::Manual => "manual",
            LiveMarkerKind::TakeOff => "takeOff",
            LiveMarkerKind::Scene => "scene",
        }
    }

    /// Reads a stable code.
    pub fn parse(code: &str) -> Option<LiveMarkerKind> {
        match code {
            "product" => Some(LiveMarkerKind::Product),
            "segment" => Some(LiveMarkerKind::Segment),
            "manual" => Some(LiveMarkerKind::Manual),
            "takeOff" => Some(LiveMarkerKind::TakeOff),
            "scene" => Some(LiveMarkerKind::Scene),
            _ => None,
        }
    }
}

/// What is on air for a broadcast, as kept in the store at each step (a resumed session
/// starts from it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OnAirState {
    pub on_air_item: Option<LineupItemId>,
    pub overlay_visible: bool,
    pub caption: Option<String>,
    /// Taken off the bag (下架), in the order they were: never put on air again.
    pub taken_off: Vec<LineupItemId>,
    /// The scene on air, by name; `None` when the camera fills the picture.
    #[serde(default)]
    pub scene: Option<String>,
    /// The microphone is muted on air.
    #[serde(default)]
    pub mic_muted: bool,
    /// The music bed is stopped on air.
    #[serde(default)]
    pub music_off: bool,
    /// The phone's sound is muted on air.
    #[serde(default)]
    pub phone_muted: bool,
}

/// What is silenced on air, kept so that a restarted broadcast stays so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SoundOnAir {
    pub mic_muted: bool,
    pub music_off: bool,
    pub phone_muted: bool,
}

/// A moment in the recording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LiveMarker {
    pub kind: LiveMarkerKind,
    pub label: String,
    pub lineup_item_id: Option<LineupItemId>,
    pub sku: Option<String>,
    /// Milliseconds from the start of the recording.
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub media_ms: i64,
    pub at: String,
}

/// Planned against actual time for one line-up item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProductTiming {
    pub lineup_item_id: LineupItemId,
    pub sku: String,
    pub name: String,
    pub planned_minutes: i32,
    /// Seconds on air, summed over every time it was on air.
    pub actual_seconds: i32,
    /// Each stretch on air: `[start, end)` in recording milliseconds.
    pub stretches: Vec<Stretch>,
    pub live_price: Fen,
}

/// A stretch of the recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Stretch {
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub start_ms: i64,
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub end_ms: i64,
}

/// Which line-up position goes on air: `index` when given (a jump), else `step` from the
/// current one (the first item when nothing is on air yet), kept inside the line-up.
/// `None` for an empty line-up.
pub fn next_on_air(current: Option<usize>, step: i32, index: Option<i32>, n_items: usize) -> Option<usize> {
    if n_items == 0 {
        return None;
    }
    let last = n_items as i64 - 1;
    let target = match (index, current) {
        (Some(index), _) => index as i64,
        (None, None) => 0,
        (None, Some(current)) => current as i64 + step as i64,
    };
    Some(target.clamp(0, last) as usize)
}

/// [`next_on_air`] that passes over items taken off the bag (`taken_off(i)`): a step goes
/// on to the next item still for sale in its direction (or stays where it is when there is
/// none); a jump to a taken-off item, or a line-up with nothing left, gives `None`.
pub fn next_on_air_for_sale(current: Option<usize>, step: i32, index: Option<i32>, n_items: usize, taken_off: impl Fn(usize) -> bool) -> Option<usize> {
    let target = next_on_air(current, step, index, n_items)?;
    if index.is_some() {
        return (!taken_off(target)).then_some(target);
    }
    let direction: i64 = if step < 0 { -1 } else { 1 };
    let mut at = target as i64;
    while (0..n_items as i64).contains(&at) {
        if !taken_off(at as usize) {
            return Some(at as usize);
        }
        at += direction;
    }
    current.filter(|&c| !taken_off(c))
}

/// The line under the product's name on the overlay: the coupon when there is one, else
/// the first selling point.
pub fn overlay_line(coupon: &str, selling_points: &str) -> String {
    if !coupon.trim().is_empty() {
        return coupon.trim().to_string();
    }
    selling_points.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").to_string()
}

/// Turns product markers into stretches per line-up item: a product is on air from its
/// marker until the next product marker, or until `end_ms`.
pub fn product_stretches(markers: &[LiveMarker], end_ms: i64) -> Vec<(LineupItemId, Stretch)> {
    let mut products: Vec<&LiveMarker> = markers.iter().filter(|m| m.kind == LiveMarkerKind::Product).collect();
    products.sort_by_key(|m| m.media_ms);
    let mut stretches = Vec::new();
    for (idx, marker) in products.iter().enumerate() {
        let Some(item) = marker.lineup_item_id else { continue };
        let end = products.get(idx + 1).map(|next| next.media_ms).unwrap_or(end_ms).max(marker.media_ms);
        if end > marker.media_ms {
            stretches.push((item, Stretch { start_ms: marker.media_ms, end_ms: end }));
        }
    }
    stretches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(kind: LiveMarkerKind, item: Option<i64>, ms: i64) -> LiveMarker {
        LiveMarker { kind, label: String::new(), lineup_item_id: item.map(LineupItemId), sku: None, media_ms: ms, at: String::new() }
    }

    #[test]
    fn a_product_is_on_air_until_the_next_product_marker() {
        let markers = vec![
            marker(LiveMarkerKind::Product, Some(1), 1_000),
            marker(LiveMarkerKind::Manual, None, 5_000),
            marker(LiveMarkerKind::Product, Some(2), 61_000),
            marker(LiveMarkerKind::Product, Some(1), 90_000),
        ];
        assert_eq!(
            product_stretches(&markers, 120_000),
            vec![
                (LineupItemId(1), Stretch { start_ms: 1_000, end_ms: 61_000 }),
                (LineupItemId(2), Stretch { start_ms: 61_000, end_ms: 90_000 }),
                (LineupItemId(1), Stretch { start_ms: 90_000, end_ms: 120_000 }),
            ]
        );
    }

    #[test]
    fn the_next_product_stays_inside_the_line_up() {
        assert_eq!(next_on_air(None, 1, None, 3), Some(0), "the first press starts with the first item");
        assert_eq!(next_on_air(Some(0), 1, None, 3), Some(1));
        assert_eq!(next_on_air(Some(2), 1, None, 3), Some(2), "no item after the last");
        assert_eq!(next_on_air(Some(0), -1, None, 3), Some(0));
        assert_eq!(next_on_air(Some(0), 0, Some(7), 3), Some(2), "a jump past the end lands on the last");
        assert_eq!(next_on_air(None, 1, None, 0), None);
        assert_eq!(overlay_line("满99减10", "甜"), "满99减10");
        assert_eq!(overlay_line(" ", "\n  果园直发\n第二条"), "果园直发");
    }

    #[test]
    fn taken_off_items_are_passed_over() {
        let off = |i: usize| i == 1;
        assert_eq!(next_on_air_for_sale(Some(0), 1, None, 3, off), Some(2), "1 is sold out: on to 2");
        assert_eq!(next_on_air_for_sale(Some(2), -1, None, 3, off), Some(0));
        assert_eq!(next_on_air_for_sale(None, 1, None, 3, |i| i == 0), Some(1), "the first press skips a sold-out first item");
        assert_eq!(next_on_air_for_sale(Some(0), 0, Some(1), 3, off), None, "no jump to a taken-off item");
        assert_eq!(next_on_air_for_sale(Some(2), 1, None, 3, |i| i == 2), None, "nothing left after the last");
        assert_eq!(next_on_air_for_sale(Some(0), 1, None, 2, |i| i == 1), Some(0), "stays on the last one for sale");
    }

    #[test]
    fn no_markers_no_stretches() {
        assert!(product_stretches(&[], 10_000).is_empty());
        assert!(product_stretches(&[marker(LiveMarkerKind::Manual, None, 0)], 10_000).is_empty());
    }
}

/// Checklist completion per phase, for the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PhaseCompletion {
    pub phase: crate::plan::Phase,
    pub satisfied: i32,
    pub total: i32,
    /// Titles of critical items left open.
    pub open_critical: Vec<String>,
}

/// The post-broadcast review (复盘) of the latest session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BroadcastReport {
    pub broadcast: crate::model::Broadcast,
    pub session: Option<LiveSession>,
    /// Length of the recording covered by markers and the session, in seconds.
    pub duration_seconds: i32,
    pub planned_minutes: i32,
    pub products: Vec<ProductTiming>,
    pub markers: Vec<LiveMarker>,
    pub checklist: Vec<PhaseCompletion>,
    pub override_reason: Option<crate::plan::GoLiveOverride>,
    /// Error findings of the claims linter, and how many were neither fixed nor acknowledged.
    pub compliance_errors: i32,
    pub compliance_unresolved: i32,
    /// Sales per product, the viewer curve and the audience, from the platform's events.
    pub room: crate::room::RoomSummary,
    /// The desk's replies to viewers.
    pub replies: Vec<crate::room::LiveReply>,
}

/// What a desk shares of a report with its team (the server's web page shows it): the
/// figures and a thinned viewer curve, not the markers, replies or checklist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportDigest {
    pub rehearsal: bool,
    pub duration_seconds: i32,
    pub planned_minutes: i32,
    pub compliance_errors: i32,
    pub compliance_unresolved: i32,
    pub audience: crate::room::AudienceFigures,
    /// Per product of the line-up: name, seconds on air against the plan, orders and GMV.
    pub products: Vec<ProductDigest>,
    /// `[second, viewers online]`, at most [`ReportDigest::MAX_POINTS`] points (the highest
    /// of each run kept, so a peak survives).
    pub viewer_curve: Vec<[i32; 2]>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductDigest {
    pub name: String,
    pub actual_seconds: i32,
    pub planned_minutes: i32,
    pub orders: i32,
    pub gmv: Fen,
}

impl ReportDigest {
    pub const MAX_POINTS: usize = 120;

    pub fn of(report: &BroadcastReport) -> ReportDigest {
        let curve = &report.room.viewer_curve;
        let run = curve.len().div_ceil(Self::MAX_POINTS).max(1);
        let viewer_curve = curve
            .chunks(run)
            .map(|points| points.iter().max_by_key(|p| p.online).map(|p| [p.second, p.online]).expect("chunks are not empty"))
            .collect();
        let products = report
            .products
            .iter()
            .map(|product| {
                let sales = report.room.sales.iter().find(|s| s.sku == product.sku);
                ProductDigest {
                    name: product.name.clone(),
                    actual_seconds: product.actual_seconds,
                    planned_minutes: product.planned_minutes,
                    orders: sales.map_or(0, |s| s.orders),
                    gmv: sales.map_or(Fen(0), |s| s.gmv),
                }
            })
            .collect();
        ReportDigest {
            rehearsal: report.session.as_ref().is_some_and(|s| s.rehearsal),
            duration_seconds: report.duration_seconds,
            planned_minutes: report.planned_minutes,
            compliance_errors: report.compliance_errors,
            compliance_unresolved: report.compliance_unresolved,
            audience: report.room.audience.clone(),
            products,
            viewer_curve,
        }
    }
}

/// The report as a self-contained, printable HTML page (no scripts, inline styles only in
/// a `<style>` element).
pub fn report_html(report: &BroadcastReport) -> String {
    use std::fmt::Write as _;
    use crate::html::escape;
    let mut html = String::new();
    let title = escape(&report.broadcast.draft.title);
    let _ = write!(
        html,
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>复盘 · {title}</title><style>\
         body{{font-family:'Noto Sans CJK SC',sans-serif;margin:32px;color:#1f2328}}table{{border-collapse:collapse;width:100%;margin:12px 0}}\
         th,td{{border:1px solid #ddd;padding:6px 8px;text-align:left}}th{{background:#f6f4f1}}.over{{color:#c92a2a}}\
         .bar{{display:inline-block;height:10px;background:#ff922b}}.plan{{display:inline-block;height:10px;background:#ced4da}}\
         @media print{{body{{margin:12mm}}}}</style></head><body>"
    );
    let _ = write!(html, "<h1>复盘报告 · {title}</h1>");
    let _ = write!(html, "<p>计划开播 {} · 平台 {}</p>", escape(&report.broadcast.draft.planned_start), escape(&report.broadcast.draft.platform));
    match &report.session {
        Some(session) => {
            let _ = write!(
                html,
                "<p>开播 {} · 下播 {} · 实际 {} 分 {} 秒 / 计划 {} 分钟{}</p>",
                escape(&session.started_at),
                escape(session.ended_at.as_deref().unwrap_or("—")),
                report.duration_seconds / 60,
                report.duration_seconds % 60,
                report.planned_minutes,
                if session.rehearsal { " · 排练" } else { "" }
            );
            let _ = write!(html, "<p>录像：{}</p>", escape(&session.recording_path));
        }
        None => {
            let _ = write!(html, "<p>这个场次还没有开播记录。</p>");
        }
    }
    let _ = write!(html, "<h2>商品讲解：计划与实际</h2><table><tr><th>商品</th><th>直播价</th><th>计划</th><th>实际</th><th></th></tr>");
    let scale = report.products.iter().map(|p| (p.planned_minutes * 60).max(p.actual_seconds)).max().unwrap_or(1).max(1) as f64;
    for p in &report.products {
        let over = p.actual_seconds > p.planned_minutes * 60;
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{} 分钟</td><td class=\"{}\">{} 分 {} 秒</td><td><span class=\"plan\" style=\"width:{:.0}px\"></span><br><span class=\"bar\" style=\"width:{:.0}px\"></span></td></tr>",
            escape(&p.name),
            p.live_price,
            p.planned_minutes,
            if over { "over" } else { "" },
            p.actual_seconds / 60,
            p.actual_seconds % 60,
            (p.planned_minutes * 60) as f64 / scale * 240.0,
            p.actual_seconds as f64 / scale * 240.0,
        );
    }
    let room = &report.room;
    let a = &room.audience;
    let _ = write!(
        html,
        "</table><h2>观众与成交（平台数据）</h2><p>在线峰值 {} · 评论 {}（需关注 {}）· 点赞 {} · 订单 {} · 件数 {} · 成交额 {} · 回复 {}</p>",
        a.peak_viewers, a.comments, a.risky_comments, a.likes, a.orders, a.units, a.gmv, a.replies
    );
    if !room.viewer_curve.is_empty() {
        let _ = write!(html, "<p>在线人数</p>{}", crate::room::viewer_curve_svg(&room.viewer_curve, 640, 120));
    }
    let _ = write!(html, "<table><tr><th>商品</th><th>订单</th><th>件数</th><th>成交额</th><th></th></tr>");
    let top = room.sales.iter().map(|s| s.gmv.0).max().unwrap_or(1).max(1) as f64;
    for sale in &room.sales {
        let name = report.products.iter().find(|p| p.sku == sale.sku).map(|p| p.name.as_str()).unwrap_or(&sale.sku);
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><span class=\"bar\" style=\"width:{:.0}px\"></span></td></tr>",
            escape(name),
            sale.orders,
            sale.units,
            sale.gmv,
            sale.gmv.0 as f64 / top * 240.0
        );
    }
    let _ = write!(html, "</table>");
    if let Some(session) = &report.session {
        let _ = write!(
            html,
            "<h2>推流与录制</h2><p>丢帧 {} · 推流重连 {}</p>",
            session.dropped_frames.map(|n| n.to_string()).unwrap_or_else(|| "—".into()),
            session.push_reconnects.map(|n| n.to_string()).unwrap_or_else(|| "—".into())
        );
    }
    let _ = write!(html, "<h2>合规</h2><p>违规 {} 处，未处理 {} 处</p>", report.compliance_errors, report.compliance_unresolved);
    if let Some(o) = &report.override_reason {
        let _ = write!(html, "<p class=\"over\">带条件开播：{}（{}，{}）</p>", escape(&o.reason), escape(&o.given_by), escape(&o.given_at));
    }
    let _ = write!(html, "<h2>场控清单</h2><table><tr><th>阶段</th><th>完成</th><th>未完成的必须项</th></tr>");
    for c in &report.checklist {
        let _ = write!(html, "<tr><td>{}</td><td>{}/{}</td><td>{}</td></tr>", c.phase.code(), c.satisfied, c.total, escape(&c.open_critical.join("；")));
    }
    let _ = write!(html, "</table><h2>标记</h2><table><tr><th>时间</th><th>类型</th><th>内容</th></tr>");
    for m in &report.markers {
        let _ = write!(html, "<tr><td>{}:{:02}</td><td>{}</td><td>{}</td></tr>", m.media_ms / 60_000, (m.media_ms / 1000) % 60, m.kind.code(), escape(&m.label));
    }
    html.push_str("</table></body></html>\n");
    html
}

/// Milliseconds from `started_at` (RFC 3339) to the last write of `recording`: how long a
/// recording left by a crash runs. `None` when either cannot be read.
pub fn elapsed_until_last_write(recording: &std::path::Path, started_at: &str) -> Option<i64> {
    let modified = std::fs::metadata(recording).ok()?.modified().ok()?;
    let modified = time::OffsetDateTime::from(modified).unix_timestamp_nanos() / 1_000_000;
    Some((modified as i64 - unix_ms(started_at)?).max(0))
}

/// Milliseconds since the epoch of an RFC 3339 time (as the store writes them).
pub fn unix_ms(rfc3339: &str) -> Option<i64> {
    let at = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339).ok()?;
    Some((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Why a viewer's comment needs the field controller's eye.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum CommentAlert {
    /// A complaint: damaged goods, late delivery, refund.
    Complaint,
    /// An attempt to trade off the platform (加微信, 私下转账): platforms forbid it and
    /// buyers lose their protection.
    OffPlatform,
    /// A viewer who says they are a minor.
    Minor,
    /// A question waiting for an answer.
    Question,
}

/// Classifies a comment for the live console's alerts. Word lists, not a model: what is
/// flagged can always be explained.
pub fn comment_alert(text: &str) -> Option<CommentAlert> {
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&["加微信", "加v", "加V", "vx", "VX", "微信转账", "私下", "转账给你", "支付宝转", "线下交易", "私聊"]) {
        Some(CommentAlert::OffPlatform)
    } else if has(&["投诉", "坏了", "烂了", "退款", "骗子", "假货", "没收到", "还没发货", "发货太慢", "差评", "漏发", "少发"]) {
        Some(CommentAlert::Complaint)
    } else if has(&["我是学生", "未成年", "我才1", "初中", "小学生"]) {
        Some(CommentAlert::Minor)
    } else if has(&["?", "？", "吗", "多少", "怎么", "几天", "哪里", "能不能", "可以吗"]) {
        Some(CommentAlert::Question)
    } else {
        None
    }
}

#[cfg(test)]
mod comment_tests {
    use super::*;

    #[test]
    fn comments_are_sorted_by_what_needs_attention() {
        let cases = [
            ("主播加微信私下买便宜点", Some(CommentAlert::OffPlatform)),
            ("上次买的橙子坏了一半，要投诉", Some(CommentAlert::Complaint)),
            ("我是学生可以买吗", Some(CommentAlert::Minor)),
            ("几天能到上海？", Some(CommentAlert::Question)),
            ("好看，支持家乡", None),
        ];
        for (text, expected) in cases {
            assert_eq!(comment_alert(text), expected, "{text}");
        }
    }
}
