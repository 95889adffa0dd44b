//! The route table of the contract: every route the platform serves, once.
//!
//! The OpenAPI document is generated from this table, and the sandbox builds its router
//! from the same paths, so a route cannot be served without being documented.

/// Header carrying the admin credential of a sandbox's admin routes.
pub const ADMIN_TOKEN_HEADER: &str = "x-ad-admin-token";

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (the token endpoint, the document, the shop page).
    Public,
    /// A bearer token and a request signature.
    Signed,
    /// The sandbox's admin switches (the admin credential, [`ADMIN_TOKEN_HEADER`]).
    Admin,
}

/// What a route answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// Nothing.
    None,
    /// A JSON body of the named schema.
    Json(&'static str),
    /// A form body of the named schema (the OAuth2 token request).
    Form(&'static str),
    /// Raw bytes (`application/octet-stream`) of at most this many bytes.
    Binary(usize),
    /// Server-Sent Events whose `data` is the named schema.
    EventStream(&'static str),
    /// An HTML page.
    Html,
}

/// One route of the contract.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template with `{param}` segments, as in OpenAPI and axum.
    pub path: &'static str,
    /// OpenAPI `operationId`.
    pub operation_id: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Request body.
    pub request: Body,
    /// Success response body.
    pub response: Body,
    /// Success status.
    pub status: u16,
    /// Query parameters (all optional).
    pub query: &'static [&'static str],
    /// Changes nothing on the platform although its method is not GET (the upload
    /// probe), so it needs no `Idempotency-Key`; its body is still signed.
    pub stateless: bool,
}

impl Route {
    /// Whether the route changes state, and so requires an `Idempotency-Key`.
    pub fn is_write(&self) -> bool {
        self.method != "GET" && !self.stateless && self.access != Access::Admin && self.access != Access::Public
    }

    /// `"METHOD /path"`, the key used by fault switches.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

macro_rules! route {
    ($method:literal $path:literal, $op:literal, $summary:literal, $access:ident, $req:expr => $res:expr, $status:literal $(, query: [$($q:literal),*])? $(, stateless: $stateless:literal)?) => {
        Route {
            method: $method,
            path: $path,
            operation_id: $op,
            summary: $summary,
            access: Access::$access,
            request: $req,
            response: $res,
            status: $status,
            query: &[$($($q),*)?],
            stateless: false $(|| $stateless)?,
        }
    };
}

use Body::{Binary, EventStream, Form, Html, Json};
use crate::types::PROBE_MAX_BYTES;

/// Every route of the contract, in document order.
pub const ROUTES: &[Route] = &[
    route!("POST" "/oauth/token", "createToken", "Exchange client credentials for a bearer token", Public, Form("TokenRequest") => Json("TokenResponse"), 200),
    route!("GET" "/openapi.json", "getOpenApi", "This document", Public, Body::None => Json("OpenApiDocument"), 200),
    route!("GET" "/v1/shop", "getShop", "The shop the token belongs to", Signed, Body::None => Json("Shop"), 200),
    route!("GET" "/v1/anchors", "listAnchors", "Anchors of the shop", Signed, Body::None => Json("AnchorList"), 200),
    route!("PUT" "/v1/anchors/{anchor_id}", "upsertAnchor", "Create or replace an anchor", Signed, Json("AnchorUpsert") => Json("Anchor"), 200),
    route!("GET" "/v1/products", "listProducts", "Products in SKU order, paged", Signed, Body::None => Json("ProductPage"), 200, query: ["cursor", "limit"]),
    route!("GET" "/v1/products/{sku}", "getProduct", "One product", Signed, Body::None => Json("Product"), 200),
    route!("PUT" "/v1/products/{sku}", "upsertProduct", "Create or replace what the desk owns of a product", Signed, Json("ProductUpsert") => Json("Product"), 200),
    route!("PUT" "/v1/products/{sku}/stock", "setStock", "Set the stock allocated to the platform", Signed, Json("StockUpdate") => Json("Product"), 200),
    route!("POST" "/v1/broadcasts", "createBroadcast", "Create a broadcast with its product line-up", Signed, Json("BroadcastCreate") => Json("Broadcast"), 201),
    route!("GET" "/v1/broadcasts/{broadcast_id}", "getBroadcast", "One broadcast", Signed, Body::None => Json("Broadcast"), 200),
    route!("PUT" "/v1/broadcasts/{broadcast_id}/lineup", "setLineup", "Replace the product line-up (排品) of a broadcast that has not ended", Signed, Json("LineupUpdate") => Json("Broadcast"), 200),
    route!("POST" "/v1/broadcasts/{broadcast_id}/start", "startBroadcast", "Go live: returns the ingest URL and stream key", Signed, Body::None => Json("StreamTarget"), 200),
    route!("POST" "/v1/broadcasts/{broadcast_id}/end", "endBroadcast", "End the broadcast", Signed, Body::None => Json("Broadcast"), 200),
    route!("GET" "/v1/broadcasts/{broadcast_id}/bag", "getBag", "The shopping bag (小黄车)", Signed, Body::None => Json("Bag"), 200),
    route!("PUT" "/v1/broadcasts/{broadcast_id}/bag/{sku}", "listInBag", "List a product in the bag (上架) at a live price", Signed, Json("BagListing") => Json("Bag"), 200),
    route!("DELETE" "/v1/broadcasts/{broadcast_id}/bag/{sku}", "unlistFromBag", "Remove a product from the bag (下架)", Signed, Body::None => Json("Bag"), 200),
    route!("PUT" "/v1/broadcasts/{broadcast_id}/pin", "pinProduct", "Present a product now (讲解)", Signed, Json("PinRequest") => Json("Broadcast"), 200),
    route!("GET" "/v1/broadcasts/{broadcast_id}/coupons", "listCoupons", "Coupons of the broadcast", Signed, Body::None => Json("CouponList"), 200),
    route!("POST" "/v1/broadcasts/{broadcast_id}/coupons", "createCoupon", "Create a coupon or deal", Signed, Json("CouponCreate") => Json("Coupon"), 201),
    route!("GET" "/v1/broadcasts/{broadcast_id}/events", "listEvents", "Live events after a cursor", Signed, Body::None => Json("EventPage"), 200, query: ["after", "limit"]),
    route!("GET" "/v1/broadcasts/{broadcast_id}/events/stream", "streamEvents", "Live events as Server-Sent Events (resume with Last-Event-ID or after)", Signed, Body::None => EventStream("LiveEvent"), 200, query: ["after"]),
    route!("GET" "/v1/broadcasts/{broadcast_id}/orders", "listOrders", "Orders after a cursor", Signed, Body::None => Json("OrderPage"), 200, query: ["after", "limit"]),
    route!("GET" "/v1/broadcasts/{broadcast_id}/metrics", "getMetrics", "Figures of the broadcast and of each product", Signed, Body::None => Json("BroadcastMetrics"), 200),
    route!("PUT" "/v1/broadcasts/{broadcast_id}/script", "setScript", "Replace the scripted events of a practice scenario on a broadcast that has not ended", Signed, Json("BroadcastScript") => Json("ScriptState"), 200),
    route!("GET" "/v1/broadcasts/{broadcast_id}/script", "getScript", "The scenario script with when each event fired", Signed, Body::None => Json("ScriptState"), 200),
    route!("POST" "/v1/broadcasts/{broadcast_id}/replies", "createReply", "Answer a viewer's comment (回复)", Signed, Json("ReplyCreate") => Json("Reply"), 201),
    route!("GET" "/v1/broadcasts/{broadcast_id}/metrics/timeline", "getTimeline", "Viewers, orders and GMV after each audience tick (the viewer curve)", Signed, Body::None => Json("MetricsTimeline"), 200),
    route!("POST" "/v1/probe/upload", "probeUpload", "Receive and discard raw bytes, timing their arrival (the desk's uplink check before going live)", Signed, Binary(PROBE_MAX_BYTES) => Json("UploadProbe"), 200, stateless: true),
    route!("GET" "/shop/{shop_id}", "shopPage", "Read-only HTML page of the shop as viewers see it", Public, Body::None => Html, 200),
    route!("POST" "/admin/shops", "adminCreateShop", "Create a shop and its client credentials (sandbox)", Admin, Json("ShopCreate") => Json("ShopCredentials"), 201),
    route!("GET" "/admin/faults", "adminGetFaults", "Current fault switches (sandbox)", Admin, Body::None => Json("FaultSettings"), 200),
    route!("PUT" "/admin/faults", "adminSetFaults", "Replace the fault switches (sandbox)", Admin, Json("FaultSettings") => Json("FaultSettings"), 200),
    route!("POST" "/admin/broadcasts/{broadcast_id}/tick", "adminTick", "Advance the simulated audience of a live broadcast (sandbox)", Admin, Json("TickRequest") => Json("TickResult"), 200),
];

/// The route with this method and path template.
pub fn find(method: &str, path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|route| route.method == method && route.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upload_probe_is_signed_but_not_a_write() {
        let probe = find("POST", "/v1/probe/upload").expect("the probe is a route");
        assert_eq!((probe.access, probe.request), (Access::Signed, Body::Binary(PROBE_MAX_BYTES)));
        assert!(!probe.is_write());
        // Every other signed route that is not a GET still needs an Idempotency-Key.
        for route in ROUTES.iter().filter(|route| route.access == Access::Signed && route.method != "GET" && route.path != probe.path) {
            assert!(route.is_write(), "{}", route.key());
        }
    }
}
