//! Request and response bodies of the platform contract.
//!
//! Money is integer fen (分). Times are milliseconds since the Unix epoch. The desk names
//! products by SKU and broadcasts by its own id; the platform never renames them.
//!
//! Conflict rule between desk and platform: the desk owns descriptions, prices, live
//! prices and the stock it allocates to the platform; the platform owns what viewers do:
//! `sold` counts, orders, comments and metrics. An upsert from the desk never changes
//! `sold`, and `available` is always `stock - sold` (never below zero). The one exception
//! is a practice scenario's scripted stock-out ([`ScriptedKind::StockOut`]), which sets a
//! product's stock to 0 on the platform, as a warehouse running dry would.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Most events a [`BroadcastScript`] may hold.
pub const SCRIPT_MAX_EVENTS: usize = 500;
/// The latest a [`ScriptedEvent`] may fire: 24 hours after going live.
pub const SCRIPT_MAX_AFTER_MS: i64 = 24 * 3600 * 1000;
/// Longest text, in characters, of a scripted comment.
pub const COMMENT_MAX_CHARS: usize = 200;
/// Longest text, in characters, of a [`ReplyCreate`].
pub const REPLY_MAX_CHARS: usize = 200;
/// Largest body, in bytes, of `POST /v1/probe/upload` (8 MiB); a larger one is refused
/// with `payload-too-large` (413).
pub const PROBE_MAX_BYTES: usize = 8 << 20;
/// Suggested size of an upload probe (2 MiB): long enough to leave TCP slow start on a
/// broadband uplink, short enough for a preflight.
pub const PROBE_DEFAULT_BYTES: usize = 2 << 20;

/// Applies the derives every contract type shares.
macro_rules! contract {
    ($($item:item)*) => {$(
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        $item
    )*};
}

contract! {
    /// `POST /oauth/token` body (OAuth2 client-credentials grant).
    pub struct TokenRequest {
        /// Always `client_credentials`.
        pub grant_type: String,
        /// The shop's client id.
        pub client_id: String,
        /// The shop's client secret.
        pub client_secret: String,
    }

    /// An access token for the `Authorization: Bearer` header.
    pub struct TokenResponse {
        /// The opaque bearer token.
        pub access_token: String,
        /// Always `Bearer`.
        pub token_type: String,
        /// Seconds until the token expires.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub expires_in: i64,
    }

    /// A shop (店铺) on the platform; every key and every entity belongs to one.
    pub struct Shop {
        /// The platform's id of the shop.
        pub id: String,
        /// Display name.
        pub name: String,
        /// When the shop was created.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub created_at_ms: i64,
    }

    /// `PUT /v1/anchors/{anchor_id}` body: an anchor (主播) of the shop.
    pub struct AnchorUpsert {
        /// Display name.
        pub name: String,
        /// Qualifications on file (e.g. a health-content licence), as free text.
        #[serde(default)]
        pub qualifications: Vec<String>,
    }

    /// An anchor as the platform holds it.
    pub struct Anchor {
        /// The desk's id of the anchor.
        pub id: String,
        /// Display name.
        pub name: String,
        /// Qualifications on file.
        pub qualifications: Vec<String>,
    }

    /// The anchors of a shop.
    pub struct AnchorList {
        /// Anchors in id order.
        pub items: Vec<Anchor>,
    }

    /// `PUT /v1/products/{sku}` body: what the desk owns of a product.
    pub struct ProductUpsert {
        /// Title shown in the bag.
        pub title: String,
        /// Description shown on the product page.
        #[serde(default)]
        pub description: String,
        /// Everyday price in fen.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub price_fen: i64,
        /// Units the desk allocates to the platform.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub stock: i64,
        /// Origin (产地), if known.
        #[serde(default)]
        pub origin: Option<String>,
    }

    /// A product as the platform holds it.
    pub struct Product {
        /// The desk's SKU; unique per shop.
        pub sku: String,
        /// Title shown in the bag.
        pub title: String,
        /// Description shown on the product page.
        pub description: String,
        /// Everyday price in fen.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub price_fen: i64,
        /// Units allocated by the desk.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub stock: i64,
        /// Units sold on the platform (owned by the platform).
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub sold: i64,
        /// `stock - sold`, never below zero.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub available: i64,
        /// Origin (产地), if known.
        pub origin: Option<String>,
        /// How many upserts the platform has applied to this product.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub revision: i64,
        /// When the desk last changed it.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub updated_at_ms: i64,
    }

    /// `PUT /v1/products/{sku}/stock` body.
    pub struct StockUpdate {
        /// Units the desk allocates to the platform from now on.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub stock: i64,
    }

    /// One page of products, in SKU order.
    pub struct ProductPage {
        /// The products on this page.
        pub items: Vec<Product>,
        /// Pass as `cursor` to get the next page; absent on the last page.
        pub next_cursor: Option<String>,
    }

    /// `POST /v1/broadcasts` body: a broadcast (场次) with its product line-up.
    pub struct BroadcastCreate {
        /// The desk's id of the broadcast.
        pub id: String,
        /// Title shown to viewers.
        pub title: String,
        /// The anchor presenting, if known.
        #[serde(default)]
        pub anchor_id: Option<String>,
        /// SKUs of the line-up (排品), in order; each must exist.
        pub products: Vec<String>,
        /// Planned start.
        #[serde(default)]
        #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
        pub scheduled_start_ms: Option<i64>,
    }

    /// The coupons of a broadcast.
    pub struct CouponList {
        /// Coupons in creation order.
        pub items: Vec<Coupon>,
    }

    /// `PUT /v1/broadcasts/{id}/lineup` body: the new line-up (排品).
    pub struct LineupUpdate {
        /// SKUs in order; each must exist.
        pub products: Vec<String>,
    }

    /// Where the broadcast stands.
    #[serde(rename_all = "snake_case")]
    pub enum BroadcastStatus {
        /// Created, not started.
        Scheduled,
        /// On air.
        Live,
        /// Ended; no further changes.
        Ended,
    }

    /// A broadcast as the platform holds it.
    pub struct Broadcast {
        /// The desk's id.
        pub id: String,
        /// Title shown to viewers.
        pub title: String,
        /// The anchor presenting, if known.
        pub anchor_id: Option<String>,
        /// Scheduled, live or ended.
        pub status: BroadcastStatus,
        /// SKUs of the line-up, in order.
        pub products: Vec<String>,
        /// The product on air (讲解中), if any.
        pub pinned_sku: Option<String>,
        /// When it went live.
        #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
        pub started_at_ms: Option<i64>,
        /// When it ended.
        #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
        pub ended_at_ms: Option<i64>,
    }

    /// Where to push the stream, returned by `POST /v1/broadcasts/{id}/start`.
    pub struct StreamTarget {
        /// RTMP ingest URL without the key.
        pub ingest_url: String,
        /// The secret stream key for this broadcast.
        pub stream_key: String,
        /// The broadcast, now live.
        pub broadcast: Broadcast,
    }

    /// `PUT /v1/broadcasts/{id}/bag/{sku}` body: list a product in the bag (上架).
    pub struct BagListing {
        /// Live price in fen for this broadcast.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub live_price_fen: i64,
    }

    /// A product in the shopping bag (小黄车).
    pub struct BagItem {
        /// SKU.
        pub sku: String,
        /// Title.
        pub title: String,
        /// Live price in fen.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub live_price_fen: i64,
        /// Everyday price in fen, for the "was" price.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub price_fen: i64,
        /// Units still available.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub available: i64,
        /// Whether this is the product on air.
        pub pinned: bool,
    }

    /// The bag of a broadcast, in listing order.
    pub struct Bag {
        /// The broadcast.
        pub broadcast_id: String,
        /// Listed products.
        pub items: Vec<BagItem>,
    }

    /// `PUT /v1/broadcasts/{id}/pin` body: present a product now (讲解).
    pub struct PinRequest {
        /// SKU to pin; it must be in the bag. `null` unpins.
        pub sku: Option<String>,
    }

    /// `POST /v1/broadcasts/{id}/coupons` body: a coupon or deal for this broadcast.
    pub struct CouponCreate {
        /// The desk's id of the coupon.
        pub id: String,
        /// Title shown to viewers.
        pub title: String,
        /// Discount in fen.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub discount_fen: i64,
        /// Minimum order amount in fen (0 for none).
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub threshold_fen: i64,
        /// How many can be claimed.
        pub quantity: i32,
        /// Restricts the coupon to one SKU.
        #[serde(default)]
        pub sku: Option<String>,
    }

    /// A coupon as the platform holds it.
    pub struct Coupon {
        /// The desk's id.
        pub id: String,
        /// The broadcast it belongs to.
        pub broadcast_id: String,
        /// Title.
        pub title: String,
        /// Discount in fen.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub discount_fen: i64,
        /// Minimum order amount in fen.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub threshold_fen: i64,
        /// How many can be claimed.
        pub quantity: i32,
        /// How many viewers claimed one (owned by the platform).
        pub claimed: i32,
        /// The SKU it is restricted to.
        pub sku: Option<String>,
    }

    /// What happened in the live room.
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum LiveEventKind {
        /// A viewer's comment (评论).
        Comment {
            /// Viewer nickname.
            user: String,
            /// Comment text.
            text: String,
            /// The id of the [`ScriptedEvent`] this comment came from, when a practice
            /// scenario wrote it rather than the audience.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            scripted: Option<String>,
        },
        /// Likes (点赞) since the previous like event.
        Like {
            /// Number of likes.
            count: i32,
        },
        /// An order was placed.
        Order {
            /// Order id.
            order_id: String,
            /// SKU bought.
            sku: String,
            /// Units.
            quantity: i32,
            /// Amount paid in fen, after the coupon.
            #[cfg_attr(feature = "specta", specta(type = i32))]
            amount_fen: i64,
            /// The coupon the buyer used.
            #[serde(default)]
            coupon_id: Option<String>,
        },
        /// Viewer counts changed.
        Viewers {
            /// Viewers in the room now.
            online: i32,
            /// Arrivals since the previous viewers event.
            entered: i32,
            /// Departures since the previous viewers event.
            left: i32,
        },
        /// The product on air changed.
        Pinned {
            /// The SKU now on air, or none.
            sku: Option<String>,
        },
        /// The broadcast started or ended.
        Status {
            /// The new status.
            status: BroadcastStatus,
        },
        /// A product of the bag sold out (售罄): the last units were ordered, or a
        /// scripted stock-out took what was left.
        Stock {
            /// SKU.
            sku: String,
            /// Units still available; 0 when sold out.
            #[cfg_attr(feature = "specta", specta(type = i32))]
            available: i64,
            /// The id of the [`ScriptedEvent`] that caused it, for a scripted stock-out.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            scripted: Option<String>,
        },
        /// The anchor's team answered a comment (回复).
        Reply {
            /// `seq` of the comment answered.
            #[cfg_attr(feature = "specta", specta(type = i32))]
            comment_seq: i64,
            /// The answer.
            text: String,
        },
    }

    /// One event in a broadcast's log; `seq` increases and is the resume cursor.
    pub struct LiveEvent {
        /// Position in the shop's event log; also the SSE event id.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub seq: i64,
        /// The broadcast.
        pub broadcast_id: String,
        /// When it happened.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub at_ms: i64,
        /// What happened.
        pub event: LiveEventKind,
    }

    /// A page of live events, oldest first.
    pub struct EventPage {
        /// Events with `seq > after`.
        pub items: Vec<LiveEvent>,
        /// Pass as `after` to resume; equals `after` when nothing is new.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub next_after: i64,
    }

    /// An order placed by a viewer.
    pub struct Order {
        /// Order id.
        pub id: String,
        /// The broadcast it was placed in.
        pub broadcast_id: String,
        /// SKU bought.
        pub sku: String,
        /// Units.
        pub quantity: i32,
        /// Amount paid in fen, after the coupon.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub amount_fen: i64,
        /// The coupon the buyer used.
        pub coupon_id: Option<String>,
        /// Buyer nickname.
        pub buyer: String,
        /// Position in the shop's order log; the resume cursor.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub seq: i64,
        /// When it was placed.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub created_at_ms: i64,
    }

    /// A page of orders, oldest first.
    pub struct OrderPage {
        /// Orders with `seq > after`.
        pub items: Vec<Order>,
        /// Pass as `after` to resume.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub next_after: i64,
    }

    /// Figures of one product in one broadcast.
    pub struct ProductMetrics {
        /// SKU.
        pub sku: String,
        /// Orders.
        pub orders: i32,
        /// Units sold.
        pub units: i32,
        /// Amount in fen.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub gmv_fen: i64,
        /// Times it was pinned.
        pub pins: i32,
        /// How long it was on air (讲解时长), in milliseconds.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub pinned_ms: i64,
    }

    /// Figures of one broadcast.
    pub struct BroadcastMetrics {
        /// The broadcast.
        pub broadcast_id: String,
        /// Its status.
        pub status: BroadcastStatus,
        /// Viewers in the room now.
        pub viewers_online: i32,
        /// Most viewers at once.
        pub viewers_peak: i32,
        /// Arrivals in total.
        pub viewers_total: i32,
        /// Likes.
        pub likes: i32,
        /// Comments.
        pub comments: i32,
        /// Orders.
        pub orders: i32,
        /// Units sold.
        pub units: i32,
        /// Gross merchandise value in fen.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub gmv_fen: i64,
        /// Per product, in line-up order.
        pub products: Vec<ProductMetrics>,
    }

    /// `PUT /v1/broadcasts/{id}/script` body: the scripted events of a practice scenario
    /// (课程演练), fired at set times after the broadcast goes live.
    ///
    /// At most 500 events ([`SCRIPT_MAX_EVENTS`]) with unique ids; a new script replaces the
    /// old one, but an event id that has fired stays fired and never fires again. An event
    /// whose time has passed when the script arrives fires at once.
    pub struct BroadcastScript {
        /// The events, in any order; they fire in `after_ms` order.
        pub events: Vec<ScriptedEvent>,
    }

    /// One event of a [`BroadcastScript`].
    pub struct ScriptedEvent {
        /// The scenario's id of the event (1-64 bytes), carried by what it writes to the
        /// event log.
        pub id: String,
        /// When it fires: milliseconds after the broadcast went live, 0 to 86 400 000
        /// (24 h, [`SCRIPT_MAX_AFTER_MS`]).
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub after_ms: i64,
        /// What happens.
        pub kind: ScriptedKind,
    }

    /// What a [`ScriptedEvent`] does when it fires.
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum ScriptedKind {
        /// A viewer writes a comment, e.g. "这橙子是有机的吗?" or a request to pay off-platform.
        Comment {
            /// Viewer nickname: 1-32 characters, not blank.
            user: String,
            /// Comment text: 1-200 characters ([`COMMENT_MAX_CHARS`]), not blank.
            text: String,
        },
        /// The product runs out mid-sale: its stock becomes 0 and the broadcast's audience
        /// stops ordering it for the rest of the broadcast, even if the desk restocks.
        StockOut {
            /// SKU; the product must exist.
            sku: String,
        },
    }

    /// The script of a broadcast with what has fired, as `GET /v1/broadcasts/{id}/script`
    /// returns it; graders use the platform's own times from here.
    pub struct ScriptState {
        /// The broadcast.
        pub broadcast_id: String,
        /// When the broadcast went live, the zero of every `after_ms`.
        #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
        pub started_at_ms: Option<i64>,
        /// The events of the current script, in `after_ms` order.
        pub events: Vec<ScriptedEventState>,
    }

    /// One event of a [`ScriptState`].
    pub struct ScriptedEventState {
        /// The scenario's id of the event.
        pub id: String,
        /// Milliseconds after going live when it is due.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub after_ms: i64,
        /// What it does.
        pub kind: ScriptedKind,
        /// When it fired (the `at_ms` of the event it wrote); absent until it fires.
        #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
        pub fired_at_ms: Option<i64>,
        /// The `seq` of the event it wrote to the log; absent until it fires.
        #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
        pub fired_seq: Option<i64>,
    }

    /// `POST /v1/broadcasts/{id}/replies` body: answer a viewer's comment.
    pub struct ReplyCreate {
        /// `seq` of a comment event of this broadcast.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub comment_seq: i64,
        /// The answer: 1-200 characters ([`REPLY_MAX_CHARS`]), not blank.
        pub text: String,
    }

    /// A reply as the platform holds it: the [`LiveEventKind::Reply`] event it wrote.
    pub struct Reply {
        /// The broadcast.
        pub broadcast_id: String,
        /// `seq` of the reply event in the log.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub seq: i64,
        /// `seq` of the comment answered.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub comment_seq: i64,
        /// The answer.
        pub text: String,
        /// When it was written.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub created_at_ms: i64,
    }

    /// One point of a broadcast's audience timeline (the report's viewer curve).
    ///
    /// There is one point per audience tick, derived from the tick's
    /// [`LiveEventKind::Viewers`] event; ticks run together by the sandbox's admin tick
    /// route share one `at_ms`.
    pub struct MetricsPoint {
        /// When the tick ran.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub at_ms: i64,
        /// Viewers in the room after the tick.
        pub viewers_online: i32,
        /// Orders placed since going live, up to and including this tick.
        pub orders: i32,
        /// Gross merchandise value in fen since going live, up to and including this tick.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub gmv_fen: i64,
    }

    /// `POST /v1/probe/upload` answer: what the platform received of an upload probe.
    pub struct UploadProbe {
        /// Bytes of the body the platform received.
        #[cfg_attr(feature = "specta", specta(type = i32))]
        pub received_bytes: i64,
        /// Milliseconds the platform spent receiving the body, from its first byte to
        /// its last (0 for an empty body or one that arrived in one piece).
        pub server_ms: f64,
    }

    /// Machine-readable reason of a [`Problem`]; the last segment of its `type`.
    #[serde(rename_all = "kebab-case")]
    pub enum ProblemCode {
        /// The request is malformed.
        BadRequest,
        /// No or unknown credentials.
        Unauthorized,
        /// The bearer token is unknown or expired; get a new one.
        InvalidToken,
        /// The request signature does not match.
        BadSignature,
        /// The request timestamp is outside the skew window.
        ClockSkew,
        /// The request's nonce was seen before within the skew window: a replay.
        ReplayedRequest,
        /// A write came without an `Idempotency-Key`.
        MissingIdempotencyKey,
        /// The `Idempotency-Key` was used before with a different request.
        IdempotencyMismatch,
        /// The entity does not exist.
        NotFound,
        /// No such route.
        NoRoute,
        /// The method is not allowed on this route.
        MethodNotAllowed,
        /// The entity exists already with other content.
        Conflict,
        /// The entity is not in a state that allows this (e.g. pin after the end).
        InvalidState,
        /// A field is invalid.
        Validation,
        /// Too many requests; wait `Retry-After` seconds.
        RateLimited,
        /// The request body is larger than the route accepts.
        PayloadTooLarge,
        /// The server failed.
        Internal,
    }

    /// An error body (`application/problem+json`, RFC 9457).
    pub struct Problem {
        /// URI reference naming the problem type: `/problems/<code>`.
        #[serde(rename = "type")]
        pub type_uri: String,
        /// Short summary of the type.
        pub title: String,
        /// The HTTP status.
        pub status: u16,
        /// What went wrong in this instance, with the failing value.
        pub detail: String,
        /// The code the client branches on.
        pub code: ProblemCode,
        /// The server's clock, on `clock-skew` problems.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
        pub server_time_ms: Option<i64>,
    }

    /// Fault switches of one route or of all routes (sandbox only).
    #[derive(Default)]
    #[serde(default)]
    pub struct FaultConfig {
        /// Added latency before the handler runs, in milliseconds.
        pub latency_ms: u32,
        /// Share of requests answered with 500 (0.0–1.0).
        pub error_rate: f64,
        /// Share of requests answered with 429 and `Retry-After` (0.0–1.0).
        pub rate_limit_rate: f64,
        /// Share of requests whose connection is dropped (0.0–1.0); half of them after
        /// the write was applied, so only idempotency saves the client from a duplicate.
        pub drop_rate: f64,
        /// Seconds added to the server's clock when it checks signatures.
        pub clock_skew_s: i32,
    }

    /// All fault switches of a sandbox: `global` applies to every route, and an entry
    /// in `routes` (keyed `"METHOD /path/{param}"`) replaces it for that route.
    #[derive(Default)]
    #[serde(default)]
    pub struct FaultSettings {
        /// Switches for every route.
        pub global: FaultConfig,
        /// Switches per route template.
        pub routes: BTreeMap<String, FaultConfig>,
    }

    /// `POST /admin/shops` body (sandbox only).
    pub struct ShopCreate {
        /// Display name.
        pub name: String,
    }

    /// A new shop with its client credentials (sandbox only).
    pub struct ShopCredentials {
        /// The shop.
        pub shop: Shop,
        /// Client id for `POST /oauth/token`.
        pub client_id: String,
        /// Client secret; also the request-signing key.
        pub client_secret: String,
    }

    /// `POST /admin/broadcasts/{id}/tick` body: advance the simulated audience.
    pub struct TickRequest {
        /// How many simulation steps to run.
        pub ticks: i32,
    }

    /// What a tick produced.
    pub struct TickResult {
        /// Events written to the log.
        pub events: i32,
    }
}

impl ProblemCode {
    /// The kebab-case name used in the problem `type`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ProblemCode::BadRequest => "bad-request",
            ProblemCode::Unauthorized => "unauthorized",
            ProblemCode::InvalidToken => "invalid-token",
            ProblemCode::BadSignature => "bad-signature",
            ProblemCode::ClockSkew => "clock-skew",
            ProblemCode::MissingIdempotencyKey => "missing-idempotency-key",
            ProblemCode::IdempotencyMismatch => "idempotency-mismatch",
            ProblemCode::ReplayedRequest => "replayed-request",
            ProblemCode::NotFound => "not-found",
            ProblemCode::NoRoute => "no-route",
            ProblemCode::MethodNotAllowed => "method-not-allowed",
            ProblemCode::Conflict => "conflict",
            ProblemCode::InvalidState => "invalid-state",
            ProblemCode::Validation => "validation",
            ProblemCode::RateLimited => "rate-limited",
            ProblemCode::PayloadTooLarge => "payload-too-large",
            ProblemCode::Internal => "internal",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(&self) -> u16 {
        match self {
            ProblemCode::BadRequest | ProblemCode::MissingIdempotencyKey => 400,
            ProblemCode::Unauthorized
            | ProblemCode::InvalidToken
            | ProblemCode::BadSignature
            | ProblemCode::ClockSkew
            | ProblemCode::ReplayedRequest => 401,
            ProblemCode::NotFound | ProblemCode::NoRoute => 404,
            ProblemCode::MethodNotAllowed => 405,
            ProblemCode::Conflict | ProblemCode::InvalidState => 409,
            ProblemCode::IdempotencyMismatch | ProblemCode::Validation => 422,
            ProblemCode::PayloadTooLarge => 413,
            ProblemCode::RateLimited => 429,
            ProblemCode::Internal => 500,
        }
    }

    /// A short title for the code.
    pub fn title(&self) -> &'static str {
        match self {
            ProblemCode::BadRequest => "Malformed request",
            ProblemCode::Unauthorized => "Unknown client",
            ProblemCode::InvalidToken => "Invalid or expired token",
            ProblemCode::BadSignature => "Signature does not match",
            ProblemCode::ClockSkew => "Timestamp outside the skew window",
            ProblemCode::ReplayedRequest => "Request replayed",
            ProblemCode::MissingIdempotencyKey => "Idempotency-Key required",
            ProblemCode::IdempotencyMismatch => "Idempotency-Key reused with another request",
            ProblemCode::NotFound => "Not found",
            ProblemCode::NoRoute => "No such route",
            ProblemCode::MethodNotAllowed => "Method not allowed",
            ProblemCode::Conflict => "Conflict",
            ProblemCode::InvalidState => "Not allowed in this state",
            ProblemCode::Validation => "Invalid field",
            ProblemCode::RateLimited => "Too many requests",
            ProblemCode::PayloadTooLarge => "Request body too large",
            ProblemCode::Internal => "Internal error",
        }
    }
}

impl Problem {
    /// A problem with `code`'s status, title and type.
    pub fn new(code: ProblemCode, detail: impl Into<String>) -> Problem {
        Problem {
            type_uri: format!("/problems/{}", code.as_str()),
            title: code.title().to_owned(),
            status: code.status(),
            detail: detail.into(),
            code,
            server_time_ms: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_written_before_scripts_existed_still_read_and_audience_comments_write_the_same() {
        let old = r#"{"type":"comment","user":"橙子妈妈12","text":"几天能到？"}"#;
        let comment: LiveEventKind = serde_json::from_str(old).unwrap();
        assert_eq!(comment, LiveEventKind::Comment { user: "橙子妈妈12".into(), text: "几天能到？".into(), scripted: None });
        // Without a scenario id the JSON is what older desks expect, field for field.
        assert_eq!(serde_json::to_string(&comment).unwrap(), old);
        let scripted = LiveEventKind::Comment { user: "小鹿".into(), text: "这橙子是有机的吗?".into(), scripted: Some("q-organic".into()) };
        let json = serde_json::to_value(&scripted).unwrap();
        assert_eq!(json["scripted"], "q-organic");
        assert_eq!(serde_json::from_value::<LiveEventKind>(json).unwrap(), scripted);
    }

    #[test]
    fn scripted_kinds_are_tagged_by_type() {
        let script: BroadcastScript = serde_json::from_str(
            r#"{"events":[{"id":"oos","after_ms":400,"kind":{"type":"stock_out","sku":"GN-1"}},
                          {"id":"q","after_ms":200,"kind":{"type":"comment","user":"小鹿","text":"有机的吗"}}]}"#,
        )
        .unwrap();
        assert_eq!(script.events[0].kind, ScriptedKind::StockOut { sku: "GN-1".into() });
        assert_eq!(script.events[1].kind, ScriptedKind::Comment { user: "小鹿".into(), text: "有机的吗".into() });
        let stock = serde_json::to_value(LiveEventKind::Stock { sku: "GN-1".into(), available: 0, scripted: None }).unwrap();
        assert_eq!(stock, serde_json::json!({"type": "stock", "sku": "GN-1", "available": 0}));
    }
}
