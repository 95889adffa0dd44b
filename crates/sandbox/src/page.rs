//! The read-only HTML page of a shop: what a viewer would see of the current broadcast.

use crate::api::{load_bag, load_orders};
use crate::server::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::response::Html;
use rusqlite::{OptionalExtension, params};
use std::fmt::Write;
use std::sync::Arc;

use anchordesk_text::escape_html as escape;

fn yuan(fen: i64) -> String {
    format!("¥{}.{:02}", fen / 100, (fen % 100).abs())
}

pub(crate) async fn shop_page(State(state): State<Arc<AppState>>, Path(shop_id): Path<String>) -> Result<Html<String>, ApiError> {
    state
        .db(move |conn| {
            let shop_name: String = conn
                .query_row("SELECT name FROM shop WHERE id = ?1", params![shop_id], |row| row.get(0))
                .optional()?
                .ok_or_else(|| ApiError::not_found("shop", &shop_id))?;
            // The live broadcast if there is one, else the latest.
            let current: Option<(String, String, String)> = conn
                .query_row(
                    "SELECT id, title, status FROM broadcast WHERE shop_id = ?1
                     ORDER BY status = 'live' DESC, coalesce(started_at_ms, scheduled_start_ms, 0) DESC, rowid DESC LIMIT 1",
                    params![shop_id],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            let mut html = String::new();
            let _ = write!(
                html,
                "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\">\
                 <title>{0}</title><style>body{{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}\
                 .pinned{{background:#fff4d6}}td,th{{padding:.3rem .6rem;text-align:left}}s{{color:#888}}\
                 .stockout{{color:#b00020}}.reply{{color:#0b6e4f;list-style:none}}</style></head><body>\
                 <h1>{0}</h1>",
                escape(&shop_name)
            );
            match current {
                None => html.push_str("<p>暂无直播 (no broadcast yet)</p>"),
                Some((broadcast_id, title, status)) => {
                    let label = match status.as_str() {
                        "live" => "直播中",
                        "ended" => "已结束",
                        _ => "未开播",
                    };
                    let _ = write!(html, "<h2>{} <small>({label})</small></h2>", escape(&title));
                    let bag = load_bag(conn, &shop_id, &broadcast_id)?;
                    if let Some(item) = bag.items.iter().find(|item| item.pinned) {
                        let _ = write!(html, "<p class=\"pinned\">讲解中: <b>{}</b> {}</p>", escape(&item.title), yuan(item.live_price_fen));
                    }
                    html.push_str("<h3>小黄车 (bag)</h3><table><tr><th>商品</th><th>直播价</th><th>原价</th><th>剩余</th></tr>");
                    for item in &bag.items {
                        let available = if item.available > 0 { item.available.to_string() } else { "<span class=\"stockout\">售罄</span>".to_owned() };
                        let _ = write!(
                            html,
                            "<tr{}><td>{}</td><td>{}</td><td><s>{}</s></td><td>{}</td></tr>",
                            if item.pinned { " class=\"pinned\"" } else { "" },
                            escape(&item.title),
                            yuan(item.live_price_fen),
                            yuan(item.price_fen),
                            available
                        );
                    }
                    html.push_str("</table>");
                    for sku in sold_out(conn, &shop_id, &broadcast_id)? {
                        let listed = bag.items.iter().find(|item| item.sku == sku);
                        // The desk restocked it since.
                        if listed.is_some_and(|item| item.available > 0) {
                            continue;
                        }
                        let title = listed.map_or(sku.as_str(), |item| item.title.as_str());
                        let _ = write!(html, "<p class=\"stockout\">已售罄 (sold out): {}</p>", escape(title));
                    }
                    html.push_str("<h3>最新订单 (orders)</h3><ul>");
                    let orders = load_orders(conn, &shop_id, &broadcast_id, 0, 100_000)?;
                    for order in orders.iter().rev().take(20) {
                        let _ = write!(
                            html,
                            "<li>{} 买了 {} × {} ({})</li>",
                            escape(&order.buyer),
                            escape(&order.sku),
                            order.quantity,
                            yuan(order.amount_fen)
                        );
                    }
                    let _ = write!(html, "</ul><p>{} orders</p>", orders.len());
                    html.push_str("<h3>评论 (comments)</h3><ul>");
                    for (comment, replies) in comments_with_replies(conn, &shop_id, &broadcast_id, 30)? {
                        let _ = write!(html, "<li>{}: {}", escape(&comment.user), escape(&comment.text));
                        if !replies.is_empty() {
                            html.push_str("<ul>");
                            for reply in replies {
                                let _ = write!(html, "<li class=\"reply\">↳ 主播回复: {}</li>", escape(&reply));
                            }
                            html.push_str("</ul>");
                        }
                        html.push_str("</li>");
                    }
                    html.push_str("</ul>");
                }
            }
            html.push_str("</body></html>");
            Ok(Html(html))
        })
        .await
}

/// A comment as the page shows it.
struct PageComment {
    user: String,
    text: String,
}

/// The latest `limit` comments, newest first, each with its replies in order.
fn comments_with_replies(
    conn: &rusqlite::Connection,
    shop_id: &str,
    broadcast_id: &str,
    limit: u32,
) -> Result<Vec<(PageComment, Vec<String>)>, ApiError> {
    let mut statement = conn.prepare_cached(
        "SELECT seq, json_extract(body, '$.user'), json_extract(body, '$.text') FROM event
         WHERE shop_id = ?1 AND broadcast_id = ?2 AND kind = 'comment' ORDER BY seq DESC LIMIT ?3",
    )?;
    let comments = statement
        .query_map(params![shop_id, broadcast_id, limit], |row| {
            Ok((row.get::<_, i64>(0)?, PageComment { user: row.get(1)?, text: row.get(2)? }))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let Some(oldest) = comments.last().map(|(seq, _)| *seq) else { return Ok(Vec::new()) };
    let mut statement = conn.prepare_cached(
        "SELECT json_extract(body, '$.comment_seq'), json_extract(body, '$.text') FROM event
         WHERE shop_id = ?1 AND broadcast_id = ?2 AND kind = 'reply' AND seq > ?3 ORDER BY seq",
    )?;
    let mut replies: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    for row in statement.query_map(params![shop_id, broadcast_id, oldest], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)))? {
        let (comment_seq, text) = row?;
        replies.entry(comment_seq).or_default().push(text);
    }
    Ok(comments.into_iter().map(|(seq, comment)| (comment, replies.remove(&seq).unwrap_or_default())).collect())
}

/// SKUs that sold out in this broadcast (by orders or a scripted stock-out), in order.
fn sold_out(conn: &rusqlite::Connection, shop_id: &str, broadcast_id: &str) -> Result<Vec<String>, ApiError> {
    let mut statement = conn.prepare_cached(
        "SELECT json_extract(body, '$.sku') FROM event
         WHERE shop_id = ?1 AND broadcast_id = ?2 AND kind = 'stock' AND json_extract(body, '$.available') <= 0
         GROUP BY 1 ORDER BY min(seq)",
    )?;
    let skus = statement.query_map(params![shop_id, broadcast_id], |row| row.get(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(skus)
}
