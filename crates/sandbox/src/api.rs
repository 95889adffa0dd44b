//! The handlers of the contract's routes.

use crate::script;
use crate::server::{self, ApiError, AppState, Ctx, Signed, parse_status, status_text, write};
use anchordesk_platform::*;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use axum::Json;
use futures_util::{Stream, StreamExt};
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;

type S = Arc<AppState>;

/// Adds the handler of `operation_id` to `method_router`.
pub(crate) fn add_handler(method_router: MethodRouter<S>, filter: MethodFilter, operation_id: &str) -> MethodRouter<S> {
    match operation_id {
        "createToken" => method_router.on(filter, create_token),
        "getOpenApi" => method_router.on(filter, get_openapi),
        "getShop" => method_router.on(filter, get_shop),
        "listAnchors" => method_router.on(filter, list_anchors),
        "upsertAnchor" => method_router.on(filter, upsert_anchor),
        "listProducts" => method_router.on(filter, list_products),
        "getProduct" => method_router.on(filter, get_product),
        "upsertProduct" => method_router.on(filter, upsert_product),
        "setStock" => method_router.on(filter, set_stock),
        "createBroadcast" => method_router.on(filter, create_broadcast),
        "getBroadcast" => method_router.on(filter, get_broadcast),
        "setLineup" => method_router.on(filter, set_lineup),
        "startBroadcast" => method_router.on(filter, start_broadcast),
        "endBroadcast" => method_router.on(filter, end_broadcast),
        "getBag" => method_router.on(filter, get_bag),
        "listInBag" => method_router.on(filter, list_in_bag),
        "unlistFromBag" => method_router.on(filter, unlist_from_bag),
        "pinProduct" => method_router.on(filter, pin_product),
        "listCoupons" => method_router.on(filter, list_coupons),
        "createCoupon" => method_router.on(filter, create_coupon),
        "listEvents" => method_router.on(filter, list_events),
        "streamEvents" => method_router.on(filter, stream_events),
        "listOrders" => method_router.on(filter, list_orders),
        "getMetrics" => method_router.on(filter, get_metrics),
        "setScript" => method_router.on(filter, set_script),
        "getScript" => method_router.on(filter, get_script),
        "createReply" => method_router.on(filter, create_reply),
        "getTimeline" => method_router.on(filter, get_timeline),
        "probeUpload" => method_router.on(filter, probe_upload),
        "shopPage" => method_router.on(filter, crate::page::shop_page),
        "adminCreateShop" => method_router.on(filter, admin_create_shop),
        "adminGetFaults" => method_router.on(filter, admin_get_faults),
        "adminSetFaults" => method_router.on(filter, admin_set_faults),
        "adminTick" => method_router.on(filter, admin_tick),
        other => panic!("route {other} of the contract has no handler in the sandbox"),
    }
}

fn to_value<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("contract types serialise to JSON")
}

async fn create_token(State(state): State<S>, Form(request): Form<TokenRequest>) -> Result<Json<TokenResponse>, ApiError> {
    if request.grant_type != "client_credentials" {
        return Err(ApiError::new(ProblemCode::BadRequest, format!("grant_type {:?} is not client_credentials", request.grant_type)));
    }
    let ttl_ms = state.config.token_ttl.as_millis() as i64;
    // Guessing secrets: a client id with too many wrong ones is locked out for a while.
    if let Err(wait_s) = state.check_token_attempts(&request.client_id) {
        return Err(ApiError::rate_limited(wait_s, format!("too many wrong secrets for client {:?}; try again in {wait_s} s", request.client_id)));
    }
    let client_id = request.client_id.clone();
    let attempts = state.clone();
    let result = state
        .db(move |conn| {
            let secret: Option<String> = conn
                .query_row("SELECT secret FROM client WHERE client_id = ?1", params![request.client_id], |row| row.get(0))
                .optional()?;
            // Compared in constant time, so the answer's timing says nothing of the secret.
            if !secret.is_some_and(|secret| constant_time_eq(secret.as_bytes(), request.client_secret.as_bytes())) {
                return Err(ApiError::new(ProblemCode::Unauthorized, format!("client {:?} is unknown or its secret is wrong", request.client_id)));
            }
            let now = now_ms();
            let token = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
            conn.execute("DELETE FROM token WHERE expires_at_ms < ?1", params![now])?;
            conn.execute(
                "INSERT INTO token (token, client_id, expires_at_ms) VALUES (?1, ?2, ?3)",
                params![token, request.client_id, now + ttl_ms],
            )?;
            Ok(Json(TokenResponse { access_token: token, token_type: "Bearer".into(), expires_in: ttl_ms / 1000 }))
        })
        .await;
    match &result {
        Ok(_) => attempts.record_token_attempt(&client_id, true),
        Err(error) if error.is_unauthorized() => attempts.record_token_attempt(&client_id, false),
        Err(_) => {}
    }
    result
}

/// Equality whose time depends only on the lengths, not on where the bytes differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn get_openapi() -> Response {
    let mut response = openapi::document_json().into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

async fn get_shop(State(state): State<S>, signed: Signed) -> Result<Json<Shop>, ApiError> {
    state
        .db(move |conn| {
            Ok(Json(conn.query_row("SELECT id, name, created_at_ms FROM shop WHERE id = ?1", params![signed.shop_id], |row| {
                Ok(Shop { id: row.get(0)?, name: row.get(1)?, created_at_ms: row.get(2)? })
            })?))
        })
        .await
}

async fn list_anchors(State(state): State<S>, signed: Signed) -> Result<Json<AnchorList>, ApiError> {
    state
        .db(move |conn| {
            let mut statement = conn.prepare("SELECT id, name, qualifications FROM anchor WHERE shop_id = ?1 ORDER BY id")?;
            let items = statement
                .query_map(params![signed.shop_id], |row| {
                    let qualifications: String = row.get(2)?;
                    Ok(Anchor { id: row.get(0)?, name: row.get(1)?, qualifications: serde_json::from_str(&qualifications).unwrap_or_default() })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Json(AnchorList { items }))
        })
        .await
}

async fn upsert_anchor(State(state): State<S>, Path(anchor_id): Path<String>, signed: Signed) -> Result<Response, ApiError> {
    let anchor: AnchorUpsert = signed.json()?;
    if anchor.name.trim().is_empty() {
        return Err(ApiError::validation("name is empty"));
    }
    write(&state, signed, StatusCode::OK, move |ctx| {
        let qualifications = serde_json::to_string(&anchor.qualifications).expect("strings serialise");
        ctx.tx.execute(
            "INSERT INTO anchor (shop_id, id, name, qualifications) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (shop_id, id) DO UPDATE SET name = excluded.name, qualifications = excluded.qualifications",
            params![ctx.shop_id, anchor_id, anchor.name, qualifications],
        )?;
        Ok(to_value(&Anchor { id: anchor_id, name: anchor.name, qualifications: anchor.qualifications }))
    })
    .await
}

#[derive(Deserialize)]
struct PageQuery {
    cursor: Option<String>,
    limit: Option<u32>,
}

const PRODUCT_COLUMNS: &str = "sku, title, description, price_fen, stock, sold, origin, revision, updated_at_ms";

fn product_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Product> {
    let stock: i64 = row.get(4)?;
    let sold: i64 = row.get(5)?;
    Ok(Product {
        sku: row.get(0)?,
        title: row.get(1)?,
        description: row.get(2)?,
        price_fen: row.get(3)?,
        stock,
        sold,
        available: (stock - sold).max(0),
        origin: row.get(6)?,
        revision: row.get(7)?,
        updated_at_ms: row.get(8)?,
    })
}

pub(crate) fn load_product(tx: &rusqlite::Connection, shop_id: &str, sku: &str) -> Result<Product, ApiError> {
    tx.query_row(&format!("SELECT {PRODUCT_COLUMNS} FROM product WHERE shop_id = ?1 AND sku = ?2"), params![shop_id, sku], product_row)
        .optional()?
        .ok_or_else(|| ApiError::not_found("product", sku))
}

async fn list_products(State(state): State<S>, Query(query): Query<PageQuery>, signed: Signed) -> Result<Json<ProductPage>, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    state
        .db(move |conn| {
            let mut statement = conn.prepare(&format!(
                "SELECT {PRODUCT_COLUMNS} FROM product WHERE shop_id = ?1 AND sku > ?2 ORDER BY sku LIMIT ?3"
            ))?;
            let items = statement
                .query_map(params![signed.shop_id, query.cursor.unwrap_or_default(), limit + 1], product_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let mut items = items;
            let next_cursor = if items.len() > limit as usize {
                items.truncate(limit as usize);
                items.last().map(|product| product.sku.clone())
            } else {
                None
            };
            Ok(Json(ProductPage { items, next_cursor }))
        })
        .await
}

async fn get_product(State(state): State<S>, Path(sku): Path<String>, signed: Signed) -> Result<Json<Product>, ApiError> {
    state.db(move |conn| load_product(conn, &signed.shop_id, &sku).map(Json)).await
}

async fn upsert_product(State(state): State<S>, Path(sku): Path<String>, signed: Signed) -> Result<Response, ApiError> {
    let product: ProductUpsert = signed.json()?;
    if sku.is_empty() || sku.len() > 64 {
        return Err(ApiError::validation(format!("sku {sku:?} must be 1-64 bytes")));
    }
    if product.title.trim().is_empty() {
        return Err(ApiError::validation(format!("product {sku}: title is empty")));
    }
    if product.price_fen <= 0 || product.stock < 0 {
        return Err(ApiError::validation(format!("product {sku}: price {} fen and stock {} must be positive", product.price_fen, product.stock)));
    }
    write(&state, signed, StatusCode::OK, move |ctx| {
        ctx.tx.execute(
            "INSERT INTO product (shop_id, sku, title, description, price_fen, stock, origin, revision, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8)
             ON CONFLICT (shop_id, sku) DO UPDATE SET title = excluded.title, description = excluded.description,
                 price_fen = excluded.price_fen, stock = excluded.stock, origin = excluded.origin,
                 revision = product.revision + 1, updated_at_ms = excluded.updated_at_ms",
            params![ctx.shop_id, sku, product.title, product.description, product.price_fen, product.stock, product.origin, ctx.now_ms],
        )?;
        Ok(to_value(&load_product(ctx.tx, &ctx.shop_id, &sku)?))
    })
    .await
}

async fn set_stock(State(state): State<S>, Path(sku): Path<String>, signed: Signed) -> Result<Response, ApiError> {
    let update: StockUpdate = signed.json()?;
    if update.stock < 0 {
        return Err(ApiError::validation(format!("product {sku}: stock {} is negative", update.stock)));
    }
    write(&state, signed, StatusCode::OK, move |ctx| {
        let changed = ctx.tx.execute(
            "UPDATE product SET stock = ?1, revision = revision + 1, updated_at_ms = ?2 WHERE shop_id = ?3 AND sku = ?4",
            params![update.stock, ctx.now_ms, ctx.shop_id, sku],
        )?;
        if changed == 0 {
            return Err(ApiError::not_found("product", &sku));
        }
        Ok(to_value(&load_product(ctx.tx, &ctx.shop_id, &sku)?))
    })
    .await
}

pub(crate) fn load_broadcast(tx: &rusqlite::Connection, shop_id: &str, id: &str) -> Result<Broadcast, ApiError> {
    tx.query_row(
        "SELECT id, title, anchor_id, status, products, pinned_sku, started_at_ms, ended_at_ms FROM broadcast WHERE shop_id = ?1 AND id = ?2",
        params![shop_id, id],
        |row| {
            let status: String = row.get(3)?;
            let products: String = row.get(4)?;
            Ok(Broadcast {
                id: row.get(0)?,
                title: row.get(1)?,
                anchor_id: row.get(2)?,
                status: parse_status(&status),
                products: serde_json::from_str(&products).unwrap_or_default(),
                pinned_sku: row.get(5)?,
                started_at_ms: row.get(6)?,
                ended_at_ms: row.get(7)?,
            })
        },
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("broadcast", id))
}

async fn create_broadcast(State(state): State<S>, signed: Signed) -> Result<Response, ApiError> {
    let broadcast: BroadcastCreate = signed.json()?;
    if broadcast.id.is_empty() || broadcast.id.len() > 64 || broadcast.title.trim().is_empty() {
        return Err(ApiError::validation(format!("broadcast {:?}: id must be 1-64 bytes and the title non-empty", broadcast.id)));
    }
    write(&state, signed, StatusCode::CREATED, move |ctx| {
        for sku in &broadcast.products {
            load_product(ctx.tx, &ctx.shop_id, sku)
                .map_err(|_| ApiError::validation(format!("broadcast {}: product {sku:?} of the line-up does not exist", broadcast.id)))?;
        }
        if let Some(anchor_id) = &broadcast.anchor_id {
            let known: Option<String> = ctx
                .tx
                .query_row("SELECT id FROM anchor WHERE shop_id = ?1 AND id = ?2", params![ctx.shop_id, anchor_id], |row| row.get(0))
                .optional()?;
            if known.is_none() {
                return Err(ApiError::validation(format!("broadcast {}: anchor {anchor_id:?} does not exist", broadcast.id)));
            }
        }
        let inserted = ctx.tx.execute(
            "INSERT OR IGNORE INTO broadcast (shop_id, id, title, anchor_id, status, products, scheduled_start_ms)
             VALUES (?1, ?2, ?3, ?4, 'scheduled', ?5, ?6)",
            params![
                ctx.shop_id,
                broadcast.id,
                broadcast.title,
                broadcast.anchor_id,
                serde_json::to_string(&broadcast.products).expect("strings serialise"),
                broadcast.scheduled_start_ms
            ],
        )?;
        if inserted == 0 {
            return Err(ApiError::new(ProblemCode::Conflict, format!("broadcast {:?} exists already", broadcast.id)));
        }
        Ok(to_value(&load_broadcast(ctx.tx, &ctx.shop_id, &broadcast.id)?))
    })
    .await
}

async fn get_broadcast(State(state): State<S>, Path(id): Path<String>, signed: Signed) -> Result<Json<Broadcast>, ApiError> {
    state.db(move |conn| load_broadcast(conn, &signed.shop_id, &id).map(Json)).await
}

async fn set_lineup(State(state): State<S>, Path(id): Path<String>, signed: Signed) -> Result<Response, ApiError> {
    let lineup: LineupUpdate = signed.json()?;
    write(&state, signed, StatusCode::OK, move |ctx| {
        open_broadcast(ctx, &id)?;
        for sku in &lineup.products {
            load_product(ctx.tx, &ctx.shop_id, sku)
                .map_err(|_| ApiError::validation(format!("broadcast {id}: product {sku:?} of the line-up does not exist")))?;
        }
        let products = serde_json::to_string(&lineup.products).expect("strings serialise");
        ctx.tx.execute("UPDATE broadcast SET products = ?1 WHERE shop_id = ?2 AND id = ?3", params![products, ctx.shop_id, id])?;
        Ok(to_value(&load_broadcast(ctx.tx, &ctx.shop_id, &id)?))
    })
    .await
}

async fn start_broadcast(State(state): State<S>, Path(id): Path<String>, signed: Signed) -> Result<Response, ApiError> {
    let ingest_url = state.config.ingest_url.clone();
    write(&state, signed, StatusCode::OK, move |ctx| {
        let broadcast = load_broadcast(ctx.tx, &ctx.shop_id, &id)?;
        if broadcast.status != BroadcastStatus::Scheduled {
            return Err(ApiError::new(ProblemCode::InvalidState, format!("broadcast {id:?} is {}, not scheduled", status_text(&broadcast.status))));
        }
        let stream_key = format!("{}-{}", id, uuid::Uuid::new_v4().simple());
        ctx.tx.execute(
            "UPDATE broadcast SET status = 'live', started_at_ms = ?1, stream_key = ?2 WHERE shop_id = ?3 AND id = ?4",
            params![ctx.now_ms, stream_key, ctx.shop_id, id],
        )?;
        ctx.emit(&id, LiveEventKind::Status { status: BroadcastStatus::Live })?;
        ctx.started.push(id.clone());
        let broadcast = load_broadcast(ctx.tx, &ctx.shop_id, &id)?;
        Ok(to_value(&StreamTarget { ingest_url, stream_key, broadcast }))
    })
    .await
}

async fn end_broadcast(State(state): State<S>, Path(id): Path<String>, signed: Signed) -> Result<Response, ApiError> {
    write(&state, signed, StatusCode::OK, move |ctx| {
        let broadcast = load_broadcast(ctx.tx, &ctx.shop_id, &id)?;
        if broadcast.status == BroadcastStatus::Ended {
            return Err(ApiError::new(ProblemCode::InvalidState, format!("broadcast {id:?} has ended already")));
        }
        ctx.tx.execute(
            "UPDATE broadcast SET status = 'ended', ended_at_ms = ?1, pinned_sku = NULL WHERE shop_id = ?2 AND id = ?3",
            params![ctx.now_ms, ctx.shop_id, id],
        )?;
        ctx.emit(&id, LiveEventKind::Status { status: BroadcastStatus::Ended })?;
        ctx.ended.push(id.clone());
        Ok(to_value(&load_broadcast(ctx.tx, &ctx.shop_id, &id)?))
    })
    .await
}

pub(crate) fn load_bag(conn: &rusqlite::Connection, shop_id: &str, broadcast_id: &str) -> Result<Bag, ApiError> {
    let pinned: Option<String> = load_broadcast(conn, shop_id, broadcast_id)?.pinned_sku;
    let mut statement = conn.prepare_cached(
        "SELECT bag_item.sku, product.title, bag_item.live_price_fen, product.price_fen, max(product.stock - product.sold, 0)
         FROM bag_item JOIN product ON product.shop_id = bag_item.shop_id AND product.sku = bag_item.sku
         WHERE bag_item.shop_id = ?1 AND bag_item.broadcast_id = ?2 ORDER BY bag_item.position",
    )?;
    let items = statement
        .query_map(params![shop_id, broadcast_id], |row| {
            let sku: String = row.get(0)?;
            Ok(BagItem {
                pinned: pinned.as_deref() == Some(sku.as_str()),
                sku,
                title: row.get(1)?,
                live_price_fen: row.get(2)?,
                price_fen: row.get(3)?,
                available: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    // A scripted stock-out holds for the whole broadcast, even if the desk restocks.
    let stocked_out = script::stocked_out(conn, shop_id, broadcast_id)?;
    let items = items
        .into_iter()
        .map(|item| if stocked_out.contains(&item.sku) { BagItem { available: 0, ..item } } else { item })
        .collect();
    Ok(Bag { broadcast_id: broadcast_id.to_owned(), items })
}

async fn get_bag(State(state): State<S>, Path(id): Path<String>, signed: Signed) -> Result<Json<Bag>, ApiError> {
    state.db(move |conn| load_bag(conn, &signed.shop_id, &id).map(Json)).await
}

fn open_broadcast(ctx: &Ctx<'_>, id: &str) -> Result<Broadcast, ApiError> {
    let broadcast = load_broadcast(ctx.tx, &ctx.shop_id, id)?;
    if broadcast.status == BroadcastStatus::Ended {
        return Err(ApiError::new(ProblemCode::InvalidState, format!("broadcast {id:?} has ended")));
    }
    Ok(broadcast)
}

async fn list_in_bag(State(state): State<S>, Path((id, sku)): Path<(String, String)>, signed: Signed) -> Result<Response, ApiError> {
    let listing: BagListing = signed.json()?;
    if listing.live_price_fen <= 0 {
        return Err(ApiError::validation(format!("bag item {sku}: live price {} fen must be positive", listing.live_price_fen)));
    }
    write(&state, signed, StatusCode::OK, move |ctx| {
        open_broadcast(ctx, &id)?;
        load_product(ctx.tx, &ctx.shop_id, &sku).map_err(|_| ApiError::validation(format!("product {sku:?} does not exist")))?;
        ctx.tx.execute(
            "INSERT INTO bag_item (shop_id, broadcast_id, sku, live_price_fen, position)
             VALUES (?1, ?2, ?3, ?4, (SELECT coalesce(max(position), 0) + 1 FROM bag_item WHERE shop_id = ?1 AND broadcast_id = ?2))
             ON CONFLICT (shop_id, broadcast_id, sku) DO UPDATE SET live_price_fen = excluded.live_price_fen",
            params![ctx.shop_id, id, sku, listing.live_price_fen],
        )?;
        Ok(to_value(&load_bag(ctx.tx, &ctx.shop_id, &id)?))
    })
    .await
}

async fn unlist_from_bag(State(state): State<S>, Path((id, sku)): Path<(String, String)>, signed: Signed) -> Result<Response, ApiError> {
    write(&state, signed, StatusCode::OK, move |ctx| {
        let broadcast = open_broadcast(ctx, &id)?;
        let removed = ctx.tx.execute(
            "DELETE FROM bag_item WHERE shop_id = ?1 AND broadcast_id = ?2 AND sku = ?3",
            params![ctx.shop_id, id, sku],
        )?;
        if removed == 0 {
            return Err(ApiError::not_found("bag item", &sku));
        }
        if broadcast.pinned_sku.as_deref() == Some(sku.as_str()) {
            ctx.tx.execute("UPDATE broadcast SET pinned_sku = NULL WHERE shop_id = ?1 AND id = ?2", params![ctx.shop_id, id])?;
            ctx.emit(&id, LiveEventKind::Pinned { sku: None })?;
        }
        Ok(to_value(&load_bag(ctx.tx, &ctx.shop_id, &id)?))
    })
    .await
}

async fn pin_product(State(state): State<S>, Path(id): Path<String>, signed: Signed) -> Result<Response, ApiError> {
    let pin: PinRequest = signed.json()?;
    write(&state, signed, StatusCode::OK, move |ctx| {
        let broadcast = open_broadcast(ctx, &id)?;
        if broadcast.status != BroadcastStatus::Live {
            return Err(ApiError::new(ProblemCode::InvalidState, format!("broadcast {id:?} is not live; pin a product on air")));
        }
        if let Some(sku) = &pin.sku {
            let listed: Option<String> = ctx
                .tx
                .query_row(
                    "SELECT sku FROM bag_item WHERE shop_id = ?1 AND broadcast_id = ?2 AND sku = ?3",
                    params![ctx.shop_id, id, sku],
                    |row| row.get(0),
                )
                .optional()?;
            if listed.is_none() {
                return Err(ApiError::validation(format!("product {sku:?} is not in the bag of {id:?}; list it first")));
            }
        }
        ctx.tx.execute("UPDATE broadcast SET pinned_sku = ?1 WHERE shop_id = ?2 AND id = ?3", params![pin.sku, ctx.shop_id, id])?;
        ctx.emit(&id, LiveEventKind::Pinned { sku: pin.sku.clone() })?;
        Ok(to_value(&load_broadcast(ctx.tx, &ctx.shop_id, &id)?))
    })
    .await
}

fn load_coupons(conn: &rusqlite::Connection, shop_id: &str, broadcast_id: &str) -> Result<Vec<Coupon>, ApiError> {
    let mut statement = conn.prepare_cached(
        "SELECT id, broadcast_id, title, discount_fen, threshold_fen, quantity, claimed, sku FROM coupon
         WHERE shop_id = ?1 AND broadcast_id = ?2 ORDER BY position",
    )?;
    let coupons = statement
        .query_map(params![shop_id, broadcast_id], |row| {
            Ok(Coupon {
                id: row.get(0)?,
                broadcast_id: row.get(1)?,
                title: row.get(2)?,
                discount_fen: row.get(3)?,
                threshold_fen: row.get(4)?,
                quantity: row.get(5)?,
                claimed: row.get(6)?,
                sku: row.get(7)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(coupons)
}

async fn list_coupons(State(state): State<S>, Path(id): Path<String>, signed: Signed) -> Result<Json<CouponList>, ApiError> {
    state
        .db(move |conn| {
            load_broadcast(conn, &signed.shop_id, &id)?;
            Ok(Json(CouponList { items: load_coupons(conn, &signed.shop_id, &id)? }))
        })
        .await
}

async fn create_coupon(State(state): State<S>, Path(id): Path<String>, signed: Signed) -> Result<Response, ApiError> {
    let coupon: CouponCreate = signed.json()?;
    if coupon.id.is_empty() || coupon.discount_fen <= 0 || coupon.quantity <= 0 || coupon.threshold_fen < 0 {
        return Err(ApiError::validation(format!(
            "coupon {:?}: needs an id, a positive discount ({} fen) and quantity ({})",
            coupon.id, coupon.discount_fen, coupon.quantity
        )));
    }
    write(&state, signed, StatusCode::CREATED, move |ctx| {
        let broadcast = open_broadcast(ctx, &id)?;
        if let Some(sku) = &coupon.sku
            && !broadcast.products.contains(sku)
        {
            return Err(ApiError::validation(format!("coupon {}: product {sku:?} is not in the line-up of {id:?}", coupon.id)));
        }
        let inserted = ctx.tx.execute(
            "INSERT OR IGNORE INTO coupon (shop_id, broadcast_id, id, title, discount_fen, threshold_fen, quantity, sku, position)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
                     (SELECT coalesce(max(position), 0) + 1 FROM coupon WHERE shop_id = ?1 AND broadcast_id = ?2))",
            params![ctx.shop_id, id, coupon.id, coupon.title, coupon.discount_fen, coupon.threshold_fen, coupon.quantity, coupon.sku],
        )?;
        if inserted == 0 {
            return Err(ApiError::new(ProblemCode::Conflict, format!("coupon {:?} exists already", coupon.id)));
        }
        let created = load_coupons(ctx.tx, &ctx.shop_id, &id)?.into_iter().find(|stored| stored.id == coupon.id);
        Ok(to_value(&created.expect("the coupon was inserted in this transaction")))
    })
    .await
}

#[derive(Deserialize)]
struct AfterQuery {
    after: Option<i64>,
    limit: Option<u32>,
}

fn load_events(conn: &rusqlite::Connection, shop_id: &str, broadcast_id: &str, after: i64, limit: u32) -> Result<Vec<LiveEvent>, ApiError> {
    let mut statement = conn.prepare_cached(
        "SELECT seq, at_ms, body FROM event WHERE shop_id = ?1 AND broadcast_id = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4",
    )?;
    let rows = statement
        .query_map(params![shop_id, broadcast_id, after, limit], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, String>(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(seq, at_ms, body)| {
            let event = serde_json::from_str(&body).map_err(|err| ApiError::new(ProblemCode::Internal, format!("event {seq}: {err}")))?;
            Ok(LiveEvent { seq, broadcast_id: broadcast_id.to_owned(), at_ms, event })
        })
        .collect()
}

async fn list_events(State(state): State<S>, Path(id): Path<String>, Query(query): Query<AfterQuery>, signed: Signed) -> Result<Json<EventPage>, ApiError> {
    let after = query.after.unwrap_or(0);
    let limit = query.limit.unwrap_or(200).clamp(1, 1000);
    let publisher = state.publisher();
    state
        .db(move |conn| {
            load_broadcast(conn, &signed.shop_id, &id)?;
            // A reader never sees the log without a scripted event that is due.
            publisher.publish(&signed.shop_id, &script::fire_due_now(conn, &signed.shop_id, &id)?);
            let items = load_events(conn, &signed.shop_id, &id, after, limit)?;
            let next_after = items.last().map_or(after, |event| event.seq);
            Ok(Json(EventPage { items, next_after }))
        })
        .await
}

async fn stream_events(
    State(state): State<S>,
    Path(id): Path<String>,
    Query(query): Query<AfterQuery>,
    headers: HeaderMap,
    signed: Signed,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let resume = headers.get("last-event-id").and_then(|value| value.to_str().ok()).and_then(|value| value.parse::<i64>().ok());
    let after = resume.or(query.after).unwrap_or(0);
    // Subscribe before reading the backlog so nothing falls between the two.
    let receiver = state.events.subscribe();
    let shop_id = signed.shop_id.clone();
    let backlog_id = id.clone();
    let publisher = state.publisher();
    let backlog = state
        .db(move |conn| {
            load_broadcast(conn, &signed.shop_id, &backlog_id)?;
            // The backlog holds them too; the stream drops what it has seen.
            publisher.publish(&signed.shop_id, &script::fire_due_now(conn, &signed.shop_id, &backlog_id)?);
            load_events(conn, &signed.shop_id, &backlog_id, after, 10_000)
        })
        .await?;
    let last = backlog.last().map_or(after, |event| event.seq);
    let shutdown = state.shutdown.clone();
    let live = futures_util::stream::unfold((receiver, shutdown, last, shop_id, id), |(mut receiver, mut shutdown, last, shop_id, id)| async move {
        loop {
            let message = tokio::select! {
                message = receiver.recv() => Some(message),
                _ = shutdown.wait_for(|stop| *stop) => None,
            };
            match message {
                Some(Ok((shop, event))) if shop == shop_id && event.broadcast_id == id && event.seq > last => {
                    let seq = event.seq;
                    return Some((event, (receiver, shutdown, seq, shop_id, id)));
                }
                Some(Ok(_)) => continue,
                // A slow reader lost events; it resumes from its last id on reconnect.
                Some(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => return None,
                Some(Err(tokio::sync::broadcast::error::RecvError::Closed)) | None => return None,
            }
        }
    });
    let events = futures_util::stream::iter(backlog).chain(live).map(|event| {
        let kind = serde_json::to_value(&event.event).expect("events serialise")["type"].as_str().unwrap_or("event").to_owned();
        Ok(Event::default().id(event.seq.to_string()).event(kind).json_data(&event).expect("events serialise to JSON"))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

pub(crate) fn load_orders(conn: &rusqlite::Connection, shop_id: &str, broadcast_id: &str, after: i64, limit: u32) -> Result<Vec<Order>, ApiError> {
    let mut statement = conn.prepare_cached(
        "SELECT id, broadcast_id, sku, quantity, amount_fen, buyer, seq, created_at_ms, coupon_id FROM orders
         WHERE shop_id = ?1 AND broadcast_id = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4",
    )?;
    let orders = statement
        .query_map(params![shop_id, broadcast_id, after, limit], |row| {
            Ok(Order {
                id: row.get(0)?,
                broadcast_id: row.get(1)?,
                sku: row.get(2)?,
                quantity: row.get(3)?,
                amount_fen: row.get(4)?,
                buyer: row.get(5)?,
                seq: row.get(6)?,
                created_at_ms: row.get(7)?,
                coupon_id: row.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(orders)
}

async fn list_orders(State(state): State<S>, Path(id): Path<String>, Query(query): Query<AfterQuery>, signed: Signed) -> Result<Json<OrderPage>, ApiError> {
    let after = query.after.unwrap_or(0);
    let limit = query.limit.unwrap_or(200).clamp(1, 1000);
    state
        .db(move |conn| {
            load_broadcast(conn, &signed.shop_id, &id)?;
            let items = load_orders(conn, &signed.shop_id, &id, after, limit)?;
            let next_after = items.last().map_or(after, |order| order.seq);
            Ok(Json(OrderPage { items, next_after }))
        })
        .await
}

pub(crate) fn metrics(conn: &rusqlite::Connection, shop_id: &str, id: &str) -> Result<BroadcastMetrics, ApiError> {
    let broadcast = load_broadcast(conn, shop_id, id)?;
    let audience: Option<String> = conn
        .query_row("SELECT state FROM audience WHERE shop_id = ?1 AND broadcast_id = ?2", params![shop_id, id], |row| row.get(0))
        .optional()?;
    let audience: Option<crate::audience::Audience> = audience.and_then(|text| serde_json::from_str(&text).ok());
    let (likes, comments): (i64, i64) = conn.query_row(
        "SELECT coalesce(sum(CASE WHEN kind = 'like' THEN json_extract(body, '$.count') END), 0),
                count(CASE WHEN kind = 'comment' THEN 1 END)
         FROM event WHERE shop_id = ?1 AND broadcast_id = ?2",
        params![shop_id, id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let pinned_ms = time_on_air(conn, shop_id, id, broadcast.ended_at_ms.unwrap_or_else(now_ms))?;
    let mut products = Vec::new();
    for sku in &broadcast.products {
        let (orders, units, gmv_fen): (i64, i64, i64) = conn.query_row(
            "SELECT count(*), coalesce(sum(quantity), 0), coalesce(sum(amount_fen), 0) FROM orders
             WHERE shop_id = ?1 AND broadcast_id = ?2 AND sku = ?3",
            params![shop_id, id, sku],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        let pins: i64 = conn.query_row(
            "SELECT count(*) FROM event WHERE shop_id = ?1 AND broadcast_id = ?2 AND kind = 'pinned' AND json_extract(body, '$.sku') = ?3",
            params![shop_id, id, sku],
            |row| row.get(0),
        )?;
        products.push(ProductMetrics {
            sku: sku.clone(),
            orders: orders as i32,
            units: units as i32,
            gmv_fen,
            pins: pins as i32,
            pinned_ms: pinned_ms.get(sku).copied().unwrap_or(0),
        });
    }
    let (orders, units, gmv_fen): (i64, i64, i64) = conn.query_row(
        "SELECT count(*), coalesce(sum(quantity), 0), coalesce(sum(amount_fen), 0) FROM orders WHERE shop_id = ?1 AND broadcast_id = ?2",
        params![shop_id, id],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    let live = broadcast.status == BroadcastStatus::Live;
    Ok(BroadcastMetrics {
        broadcast_id: id.to_owned(),
        status: broadcast.status,
        viewers_online: audience.as_ref().filter(|_| live).map_or(0, |audience| audience.online),
        viewers_peak: audience.as_ref().map_or(0, |audience| audience.peak),
        viewers_total: audience.as_ref().map_or(0, |audience| audience.total),
        likes: likes as i32,
        comments: comments as i32,
        orders: orders as i32,
        units: units as i32,
        gmv_fen,
        products,
    })
}

/// Milliseconds each SKU was pinned, from the pin and status events, up to `until_ms`.
fn time_on_air(conn: &rusqlite::Connection, shop_id: &str, id: &str, until_ms: i64) -> Result<std::collections::HashMap<String, i64>, ApiError> {
    let mut statement = conn.prepare_cached(
        "SELECT at_ms, kind, json_extract(body, '$.sku') FROM event
         WHERE shop_id = ?1 AND broadcast_id = ?2 AND kind IN ('pinned', 'status') ORDER BY seq",
    )?;
    let marks = statement
        .query_map(params![shop_id, id], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, Option<String>>(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut totals = std::collections::HashMap::new();
    let mut on_air: Option<(String, i64)> = None;
    for (at_ms, kind, sku) in marks {
        if let Some((pinned, since)) = on_air.take() {
            *totals.entry(pinned).or_insert(0) += at_ms - since;
        }
        // A status event (live or ended) leaves nothing on air.
        if kind == "pinned" {
            on_air = sku.map(|sku| (sku, at_ms));
        }
    }
    if let Some((pinned, since)) = on_air {
        *totals.entry(pinned).or_insert(0) += (until_ms - since).max(0);
    }
    Ok(totals)
}

async fn get_metrics(State(state): State<S>, Path(id): Path<String>, signed: Signed) -> Result<Json<BroadcastMetrics>, ApiError> {
    state.db(move |conn| metrics(conn, &signed.shop_id, &id).map(Json)).await
}

async fn set_script(State(state): State<S>, Path(id): Path<String>, signed: Signed) -> Result<Response, ApiError> {
    let new_script: BroadcastScript = signed.json()?;
    script::validate(&new_script)?;
    write(&state, signed, StatusCode::OK, move |ctx| {
        let broadcast = open_broadcast(ctx, &id)?;
        script::replace(ctx.tx, &ctx.shop_id, &id, &new_script)?;
        ctx.scripted.push(id.clone());
        Ok(to_value(&script::load_state(ctx.tx, &ctx.shop_id, &id, broadcast.started_at_ms)?))
    })
    .await
}

async fn get_script(State(state): State<S>, Path(id): Path<String>, signed: Signed) -> Result<Json<ScriptState>, ApiError> {
    let publisher = state.publisher();
    state
        .db(move |conn| {
            let broadcast = load_broadcast(conn, &signed.shop_id, &id)?;
            publisher.publish(&signed.shop_id, &script::fire_due_now(conn, &signed.shop_id, &id)?);
            script::load_state(conn, &signed.shop_id, &id, broadcast.started_at_ms).map(Json)
        })
        .await
}

async fn create_reply(State(state): State<S>, Path(id): Path<String>, signed: Signed) -> Result<Response, ApiError> {
    let reply: ReplyCreate = signed.json()?;
    let n_chars = reply.text.chars().count();
    if reply.text.trim().is_empty() || n_chars > REPLY_MAX_CHARS {
        return Err(ApiError::validation(format!(
            "reply to comment {}: text has {n_chars} characters; it must be 1-{REPLY_MAX_CHARS}, not blank",
            reply.comment_seq
        )));
    }
    write(&state, signed, StatusCode::CREATED, move |ctx| {
        open_broadcast(ctx, &id)?;
        let comment: Option<i64> = ctx
            .tx
            .query_row(
                "SELECT seq FROM event WHERE shop_id = ?1 AND broadcast_id = ?2 AND seq = ?3 AND kind = 'comment'",
                params![ctx.shop_id, id, reply.comment_seq],
                |row| row.get(0),
            )
            .optional()?;
        if comment.is_none() {
            return Err(ApiError::new(
                ProblemCode::NotFound,
                format!("comment {} does not exist in broadcast {id:?}; reply to the seq of a comment event", reply.comment_seq),
            ));
        }
        ctx.emit(&id, LiveEventKind::Reply { comment_seq: reply.comment_seq, text: reply.text.clone() })?;
        let event = ctx.last_event().expect("the reply event was just written");
        Ok(to_value(&Reply {
            broadcast_id: id.clone(),
            seq: event.seq,
            comment_seq: reply.comment_seq,
            text: reply.text,
            created_at_ms: event.at_ms,
        }))
    })
    .await
}

/// The audience timeline, derived from the event log: one point per audience tick (its
/// viewers event), with the orders and GMV of every order event up to it.
fn timeline(conn: &rusqlite::Connection, shop_id: &str, id: &str) -> Result<Vec<MetricsPoint>, ApiError> {
    let mut statement = conn.prepare_cached(
        "SELECT at_ms, kind, json_extract(body, '$.online'), json_extract(body, '$.amount_fen') FROM event
         WHERE shop_id = ?1 AND broadcast_id = ?2 AND kind IN ('viewers', 'order') ORDER BY seq",
    )?;
    let rows = statement.query_map(params![shop_id, id], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, Option<i64>>(2)?, row.get::<_, Option<i64>>(3)?))
    })?;
    let mut points: Vec<MetricsPoint> = Vec::new();
    for row in rows {
        let (at_ms, kind, online, amount_fen) = row?;
        // A tick writes its viewers event first and its orders after it, so an order
        // counts for the point of the latest viewers event.
        match (kind.as_str(), points.last_mut()) {
            ("order", Some(point)) => {
                point.orders += 1;
                point.gmv_fen += amount_fen.unwrap_or(0);
            }
            ("order", None) => {}
            _ => {
                let (orders, gmv_fen) = points.last().map_or((0, 0), |point| (point.orders, point.gmv_fen));
                points.push(MetricsPoint { at_ms, viewers_online: online.unwrap_or(0) as i32, orders, gmv_fen });
            }
        }
    }
    Ok(points)
}

async fn get_timeline(State(state): State<S>, Path(id): Path<String>, signed: Signed) -> Result<Json<Vec<MetricsPoint>>, ApiError> {
    state
        .db(move |conn| {
            load_broadcast(conn, &signed.shop_id, &id)?;
            timeline(conn, &signed.shop_id, &id).map(Json)
        })
        .await
}

/// The body was read and timed by the [`Signed`] extractor, which streams it chunk by
/// chunk: `server_ms` runs from the first chunk's arrival to the last one's, before
/// this handler is entered. Nothing is stored.
async fn probe_upload(signed: Signed) -> Json<UploadProbe> {
    Json(UploadProbe { received_bytes: signed.body.len() as i64, server_ms: signed.receive_time.as_secs_f64() * 1000.0 })
}

async fn admin_create_shop(_admin: crate::server::Admin, State(state): State<S>, Json(request): Json<ShopCreate>) -> Result<(StatusCode, Json<ShopCredentials>), ApiError> {
    if request.name.trim().is_empty() {
        return Err(ApiError::validation("shop name is empty"));
    }
    state
        .db(move |conn| {
            let shop_id = format!("shop-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
            let client_id = format!("client-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
            let client_secret = uuid::Uuid::new_v4().simple().to_string();
            let now = now_ms();
            crate::db::ensure_shop(conn, &shop_id, &request.name, &client_id, &client_secret, now)?;
            let shop = Shop { id: shop_id, name: request.name, created_at_ms: now };
            Ok((StatusCode::CREATED, Json(ShopCredentials { shop, client_id, client_secret })))
        })
        .await
}

async fn admin_get_faults(_admin: crate::server::Admin, State(state): State<S>) -> Json<FaultSettings> {
    Json(state.faults())
}

async fn admin_set_faults(_admin: crate::server::Admin, State(state): State<S>, Json(faults): Json<FaultSettings>) -> Result<Json<FaultSettings>, ApiError> {
    let configs = std::iter::once(("global", &faults.global)).chain(faults.routes.iter().map(|(key, config)| (key.as_str(), config)));
    for (key, config) in configs {
        for (name, rate) in [("error_rate", config.error_rate), ("rate_limit_rate", config.rate_limit_rate), ("drop_rate", config.drop_rate)] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(ApiError::validation(format!("{key}: {name} {rate} is not between 0 and 1")));
            }
        }
        if key != "global" && !routes::ROUTES.iter().any(|route| route.key() == key) {
            return Err(ApiError::validation(format!("{key:?} is not a route; use \"METHOD /path/{{param}}\"")));
        }
    }
    state.set_faults(faults.clone());
    Ok(Json(faults))
}

async fn admin_tick(_admin: crate::server::Admin, State(state): State<S>, Path(id): Path<String>, Json(request): Json<TickRequest>) -> Result<Json<TickResult>, ApiError> {
    if !(1..=10_000).contains(&request.ticks) {
        return Err(ApiError::validation(format!("ticks {} is not between 1 and 10000", request.ticks)));
    }
    let seed = state.config.seed;
    let lookup = id.clone();
    let shops: Vec<String> = state
        .db(move |conn| {
            let mut statement = conn.prepare("SELECT shop_id FROM broadcast WHERE id = ?1 AND status = 'live'")?;
            let shops = statement.query_map(params![lookup], |row| row.get(0))?.collect::<Result<Vec<_>, _>>()?;
            Ok(shops)
        })
        .await?;
    if shops.is_empty() {
        return Err(ApiError::new(ProblemCode::InvalidState, format!("no live broadcast {id:?}")));
    }
    let mut n_events = 0;
    for shop_id in shops {
        let (broadcast_id, ticks, publisher) = (id.clone(), request.ticks as u32, state.publisher());
        let ticked = state.db(move |conn| {
            let events = server::tick(conn, &shop_id, &broadcast_id, seed, ticks)?.unwrap_or_default();
            publisher.publish(&shop_id, &events);
            Ok(events.len())
        });
        n_events += ticked.await? as i32;
    }
    Ok(Json(TickResult { events: n_events }))
}
