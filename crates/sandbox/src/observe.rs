//! What a shop saw of one broadcast, read from the sandbox's own database for someone who
//! hosts it (the team server grades a class's rehearsals from this, not from what a
//! student's desk reports).

use crate::server::parse_status;
use anchordesk_platform::{BroadcastStatus, LiveEventKind};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// One broadcast as its shop recorded it. Times are milliseconds since go-live (the
/// platform's start call), on the platform's clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedBroadcast {
    /// The broadcast's id on the platform.
    pub broadcast_id: String,
    /// Whether it is scheduled, live or ended.
    pub status: BroadcastStatus,
    /// Unix ms of the start call; `None` before it.
    pub started_at_ms: Option<i64>,
    /// Unix ms of the end call.
    pub ended_at_ms: Option<i64>,
    /// The scripted events set on it, in their order.
    pub script: Vec<ObservedScripted>,
    /// Every reply the anchor's team sent, oldest first.
    pub replies: Vec<ObservedReply>,
    /// The shop's figures (the same as `GET …/metrics`).
    pub viewers_peak: i32,
    /// Viewers who came in.
    pub viewers_total: i32,
    /// Comments (the scripted ones included).
    pub comments: i32,
    /// Orders placed.
    pub orders: i32,
    /// Units ordered.
    pub units: i32,
    /// Amount paid, in fen.
    pub gmv_fen: i64,
    /// The shop's prices of the broadcast's products (which the desk sets).
    pub prices: Vec<ObservedPrice>,
    /// What was sold, by SKU.
    pub sales: Vec<ObservedSales>,
}

/// A product's prices in the shop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedPrice {
    pub sku: String,
    /// The shop's everyday price.
    pub price_fen: i64,
    /// The live price in the bag, while it is listed.
    pub live_price_fen: Option<i64>,
}

/// Orders of one SKU.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedSales {
    pub sku: String,
    pub orders: i64,
    pub units: i64,
    pub amount_fen: i64,
}

/// A scripted event of the broadcast and whether it fired.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedScripted {
    /// The scenario's event id.
    pub id: String,
    /// When it was to fire, after going live.
    pub after_ms: i64,
    /// The event as set (comment text or the SKU that sells out), JSON.
    pub kind: serde_json::Value,
    /// When it fired, after going live; `None` when it never did.
    pub fired_after_ms: Option<i64>,
    /// `seq` of the comment or stock event it wrote.
    pub fired_seq: Option<i64>,
}

/// A reply the shop received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedReply {
    /// `seq` of the comment answered.
    pub comment_seq: i64,
    /// When, after going live.
    pub after_ms: i64,
    /// The text.
    pub text: String,
}

pub(crate) fn observe(conn: &Connection, shop_id: &str, broadcast_id: &str) -> rusqlite::Result<Option<ObservedBroadcast>> {
    let row = conn
        .query_row(
            "SELECT status, started_at_ms, ended_at_ms FROM broadcast WHERE shop_id = ?1 AND id = ?2",
            params![shop_id, broadcast_id],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<i64>>(1)?, row.get::<_, Option<i64>>(2)?)),
        )
        .optional()?;
    let Some((status, started_at_ms, ended_at_ms)) = row else { return Ok(None) };
    let origin = started_at_ms.unwrap_or(0);
    let mut statement = conn.prepare(
        "SELECT id, after_ms, kind, fired_at_ms, fired_seq FROM scripted_event WHERE shop_id = ?1 AND broadcast_id = ?2 \
         ORDER BY position IS NULL, position, after_ms, id",
    )?;
    let script = statement
        .query_map(params![shop_id, broadcast_id], |row| {
            let kind: String = row.get(2)?;
            Ok(ObservedScripted {
                id: row.get(0)?,
                after_ms: row.get(1)?,
                kind: serde_json::from_str(&kind).unwrap_or(serde_json::Value::String(kind)),
                fired_after_ms: row.get::<_, Option<i64>>(3)?.map(|at| at - origin),
                fired_seq: row.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut statement = conn.prepare("SELECT at_ms, body FROM event WHERE shop_id = ?1 AND broadcast_id = ?2 AND kind = 'reply' ORDER BY seq")?;
    let replies = statement
        .query_map(params![shop_id, broadcast_id], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)))?
        .filter_map(|row| match row {
            Ok((at, body)) => match serde_json::from_str::<LiveEventKind>(&body) {
                Ok(LiveEventKind::Reply { comment_seq, text }) => Some(Ok(ObservedReply { comment_seq, after_ms: at - origin, text })),
                _ => None,
            },
            Err(err) => Some(Err(err)),
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut statement = conn.prepare(
        "SELECT p.sku, p.price_fen, b.live_price_fen FROM product p LEFT JOIN bag_item b ON b.shop_id = p.shop_id AND b.sku = p.sku AND b.broadcast_id = ?2 \
         WHERE p.shop_id = ?1 AND p.sku IN (SELECT value FROM json_each((SELECT products FROM broadcast WHERE shop_id = ?1 AND id = ?2))) ORDER BY p.sku",
    )?;
    let prices = statement
        .query_map(params![shop_id, broadcast_id], |row| Ok(ObservedPrice { sku: row.get(0)?, price_fen: row.get(1)?, live_price_fen: row.get(2)? }))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut statement = conn.prepare(
        "SELECT sku, count(*), coalesce(sum(quantity), 0), coalesce(sum(amount_fen), 0) FROM orders WHERE shop_id = ?1 AND broadcast_id = ?2 GROUP BY sku ORDER BY sku",
    )?;
    let sales = statement
        .query_map(params![shop_id, broadcast_id], |row| Ok(ObservedSales { sku: row.get(0)?, orders: row.get(1)?, units: row.get(2)?, amount_fen: row.get(3)? }))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let figures = crate::api::metrics(conn, shop_id, broadcast_id).ok();
    let figure = |pick: fn(&anchordesk_platform::BroadcastMetrics) -> i64| figures.as_ref().map_or(0, pick);
    Ok(Some(ObservedBroadcast {
        broadcast_id: broadcast_id.to_owned(),
        status: parse_status(&status),
        started_at_ms,
        ended_at_ms,
        script,
        replies,
        viewers_peak: figure(|m| m.viewers_peak.into()) as i32,
        viewers_total: figure(|m| m.viewers_total.into()) as i32,
        comments: figure(|m| m.comments.into()) as i32,
        orders: figure(|m| m.orders.into()) as i32,
        units: figure(|m| m.units.into()) as i32,
        gmv_fen: figure(|m| m.gmv_fen),
        prices,
        sales,
    }))
}
