//! The read-only HTML page of a shop: what a viewer would see of the current broadcast.

use crate::api::{load_bag, load_orders};
use crate::server::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::response::Html;
use rusqlite::{OptionalExtension, params};
use std::fmt::Write;
use std::sync::Arc;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

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
                 .pinned{{background:#fff4d6}}td,th{{padding:.3rem .6rem;text-align:left}}s{{color:#888}}</style></head><body>\
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
                        let _ = write!(
                            html,
                            "<tr{}><td>{}</td><td>{}</td><td><s>{}</s></td><td>{}</td></tr>",
                            if item.pinned { " class=\"pinned\"" } else { "" },
                            escape(&item.title),
                            yuan(item.live_price_fen),
                            yuan(item.price_fen),
                            item.available
                        );
                    }
                    html.push_str("</table><h3>最新订单 (orders)</h3><ul>");
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
                }
            }
            html.push_str("</body></html>");
            Ok(Html(html))
        })
        .await
}
