//! The adapter trait every platform implements, and its first implementation.
//!
//! A platform adapter turns the desk's calls into one platform's API. [`ContractClient`]
//! speaks the open contract directly (the sandbox and any server implementing the
//! OpenAPI document); a Douyin or Taobao adapter is one more file implementing
//! [`Platform`] with its own client, mapping the desk's SKUs and broadcast ids to that
//! platform's ids.

use crate::client::{Client, ClientConfig, encode_segment};
use crate::error::PlatformError;
use crate::sync::Command;
use crate::types::*;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use reqwest::Method;
use std::future::Future;
use std::pin::Pin;

/// A boxed future, so that [`Platform`] can be used as `dyn Platform`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Result of a platform call.
pub type PlatformResult<T> = Result<T, PlatformError>;

/// One live-commerce platform, as the desk sees it.
///
/// Every write takes the idempotency key of the logical change (the outbox entry's id),
/// so that sending it again after a crash or a lost answer changes nothing.
pub trait Platform: Send + Sync {
    /// Short name for logs and the UI (`sandbox`, `douyin`).
    fn name(&self) -> &str;
    /// The shop the credentials belong to; the "test connection" call.
    fn shop(&self) -> BoxFuture<'_, PlatformResult<Shop>>;
    /// Creates or replaces an anchor.
    fn upsert_anchor<'a>(&'a self, key: &'a str, anchor_id: &'a str, anchor: &'a AnchorUpsert) -> BoxFuture<'a, PlatformResult<Anchor>>;
    /// Creates or replaces what the desk owns of a product.
    fn upsert_product<'a>(&'a self, key: &'a str, sku: &'a str, product: &'a ProductUpsert) -> BoxFuture<'a, PlatformResult<Product>>;
    /// Sets the stock allocated to the platform.
    fn set_stock<'a>(&'a self, key: &'a str, sku: &'a str, stock: i64) -> BoxFuture<'a, PlatformResult<Product>>;
    /// One page of products in SKU order.
    fn list_products<'a>(&'a self, cursor: Option<&'a str>, limit: u32) -> BoxFuture<'a, PlatformResult<ProductPage>>;
    /// Creates a broadcast with its line-up.
    fn create_broadcast<'a>(&'a self, key: &'a str, broadcast: &'a BroadcastCreate) -> BoxFuture<'a, PlatformResult<Broadcast>>;
    /// Replaces the line-up of a broadcast that has not ended.
    fn set_lineup<'a>(&'a self, key: &'a str, broadcast_id: &'a str, products: &'a [String]) -> BoxFuture<'a, PlatformResult<Broadcast>>;
    /// One broadcast.
    fn broadcast<'a>(&'a self, broadcast_id: &'a str) -> BoxFuture<'a, PlatformResult<Broadcast>>;
    /// Goes live; returns where to push the stream.
    fn start_broadcast<'a>(&'a self, key: &'a str, broadcast_id: &'a str) -> BoxFuture<'a, PlatformResult<StreamTarget>>;
    /// Ends the broadcast.
    fn end_broadcast<'a>(&'a self, key: &'a str, broadcast_id: &'a str) -> BoxFuture<'a, PlatformResult<Broadcast>>;
    /// The shopping bag.
    fn bag<'a>(&'a self, broadcast_id: &'a str) -> BoxFuture<'a, PlatformResult<Bag>>;
    /// Lists a product in the bag (上架) at a live price.
    fn list_in_bag<'a>(&'a self, key: &'a str, broadcast_id: &'a str, sku: &'a str, live_price_fen: i64) -> BoxFuture<'a, PlatformResult<Bag>>;
    /// Removes a product from the bag (下架).
    fn unlist_from_bag<'a>(&'a self, key: &'a str, broadcast_id: &'a str, sku: &'a str) -> BoxFuture<'a, PlatformResult<Bag>>;
    /// Presents a product now (讲解), or nothing.
    fn pin<'a>(&'a self, key: &'a str, broadcast_id: &'a str, sku: Option<&'a str>) -> BoxFuture<'a, PlatformResult<Broadcast>>;
    /// Creates a coupon or deal.
    fn create_coupon<'a>(&'a self, key: &'a str, broadcast_id: &'a str, coupon: &'a CouponCreate) -> BoxFuture<'a, PlatformResult<Coupon>>;
    /// Live events with `seq > after` (a cursored, resumable pull).
    fn events<'a>(&'a self, broadcast_id: &'a str, after: i64, limit: u32) -> BoxFuture<'a, PlatformResult<EventPage>>;
    /// Orders with `seq > after`.
    fn orders<'a>(&'a self, broadcast_id: &'a str, after: i64, limit: u32) -> BoxFuture<'a, PlatformResult<OrderPage>>;
    /// Figures of the broadcast and of each product.
    fn metrics<'a>(&'a self, broadcast_id: &'a str) -> BoxFuture<'a, PlatformResult<BroadcastMetrics>>;
    /// Live events pushed as they happen, starting after `after`.
    fn event_stream<'a>(&'a self, broadcast_id: &'a str, after: i64) -> BoxFuture<'a, PlatformResult<BoxStream<'static, PlatformResult<LiveEvent>>>>;
    /// Replaces the practice scenario's scripted events of a broadcast that has not ended.
    fn set_script<'a>(&'a self, key: &'a str, broadcast_id: &'a str, script: &'a BroadcastScript) -> BoxFuture<'a, PlatformResult<ScriptState>>;
    /// The scenario script of a broadcast, with when each event fired.
    fn script<'a>(&'a self, broadcast_id: &'a str) -> BoxFuture<'a, PlatformResult<ScriptState>>;
    /// Answers a viewer's comment (回复).
    fn reply<'a>(&'a self, key: &'a str, broadcast_id: &'a str, reply: &'a ReplyCreate) -> BoxFuture<'a, PlatformResult<Reply>>;
    /// Viewers, orders and GMV after each audience tick, oldest first.
    fn timeline<'a>(&'a self, broadcast_id: &'a str) -> BoxFuture<'a, PlatformResult<Vec<MetricsPoint>>>;
    /// Uploads `bytes` of incompressible data once and returns what the platform
    /// received; changes nothing on the platform. Start at [`crate::probe::measure_upload_kbps`].
    ///
    /// Errors: `payload-too-large` (413) above [`PROBE_MAX_BYTES`]. Not retried: a
    /// retry would time the backoff instead of the link.
    fn probe_upload<'a>(&'a self, bytes: usize) -> BoxFuture<'a, PlatformResult<UploadProbe>>;

    /// Sends one outbox command with its idempotency key.
    fn apply<'a>(&'a self, key: &'a str, command: &'a Command) -> BoxFuture<'a, PlatformResult<()>> {
        Box::pin(async move {
            match command {
                Command::UpsertAnchor { anchor_id, anchor } => self.upsert_anchor(key, anchor_id, anchor).await.map(drop),
                Command::UpsertProduct { sku, product } => self.upsert_product(key, sku, product).await.map(drop),
                Command::SetStock { sku, stock } => self.set_stock(key, sku, *stock).await.map(drop),
                Command::CreateBroadcast { broadcast } => self.create_broadcast(key, broadcast).await.map(drop),
                Command::SetLineup { broadcast_id, products } => self.set_lineup(key, broadcast_id, products).await.map(drop),
                Command::StartBroadcast { broadcast_id } => self.start_broadcast(key, broadcast_id).await.map(drop),
                Command::EndBroadcast { broadcast_id } => self.end_broadcast(key, broadcast_id).await.map(drop),
                Command::ListInBag { broadcast_id, sku, live_price_fen } => {
                    self.list_in_bag(key, broadcast_id, sku, *live_price_fen).await.map(drop)
                }
                Command::UnlistFromBag { broadcast_id, sku } => self.unlist_from_bag(key, broadcast_id, sku).await.map(drop),
                Command::Pin { broadcast_id, sku } => self.pin(key, broadcast_id, sku.as_deref()).await.map(drop),
                Command::CreateCoupon { broadcast_id, coupon } => self.create_coupon(key, broadcast_id, coupon).await.map(drop),
                Command::SetScript { broadcast_id, script } => self.set_script(key, broadcast_id, script).await.map(drop),
                Command::Reply { broadcast_id, reply } => self.reply(key, broadcast_id, reply).await.map(drop),
            }
        })
    }
}

/// The client of the open contract: the practice sandbox, or a team's own platform (any
/// server implementing the OpenAPI document).
#[derive(Debug, Clone)]
pub struct ContractClient {
    client: Client,
}

impl ContractClient {
    /// An adapter over a new [`Client`].
    pub fn new(config: ClientConfig) -> Result<ContractClient, PlatformError> {
        Ok(ContractClient { client: Client::new(config)? })
    }

    /// An adapter over an existing client.
    pub fn from_client(client: Client) -> ContractClient {
        ContractClient { client }
    }

    /// The underlying client.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

fn broadcast_path(broadcast_id: &str, rest: &str) -> String {
    format!("/v1/broadcasts/{}{}", encode_segment(broadcast_id), rest)
}

impl Platform for ContractClient {
    fn name(&self) -> &str {
        "sandbox"
    }

    fn shop(&self) -> BoxFuture<'_, PlatformResult<Shop>> {
        Box::pin(self.client.get("/v1/shop"))
    }

    fn upsert_anchor<'a>(&'a self, key: &'a str, anchor_id: &'a str, anchor: &'a AnchorUpsert) -> BoxFuture<'a, PlatformResult<Anchor>> {
        Box::pin(async move {
            let path = format!("/v1/anchors/{}", encode_segment(anchor_id));
            self.client.write(Method::PUT, &path, Some(anchor), key).await
        })
    }

    fn upsert_product<'a>(&'a self, key: &'a str, sku: &'a str, product: &'a ProductUpsert) -> BoxFuture<'a, PlatformResult<Product>> {
        Box::pin(async move {
            let path = format!("/v1/products/{}", encode_segment(sku));
            self.client.write(Method::PUT, &path, Some(product), key).await
        })
    }

    fn set_stock<'a>(&'a self, key: &'a str, sku: &'a str, stock: i64) -> BoxFuture<'a, PlatformResult<Product>> {
        Box::pin(async move {
            let path = format!("/v1/products/{}/stock", encode_segment(sku));
            self.client.write(Method::PUT, &path, Some(&StockUpdate { stock }), key).await
        })
    }

    fn list_products<'a>(&'a self, cursor: Option<&'a str>, limit: u32) -> BoxFuture<'a, PlatformResult<ProductPage>> {
        Box::pin(async move {
            let path = match cursor {
                Some(cursor) => format!("/v1/products?limit={limit}&cursor={}", encode_segment(cursor)),
                None => format!("/v1/products?limit={limit}"),
            };
            self.client.get(&path).await
        })
    }

    fn create_broadcast<'a>(&'a self, key: &'a str, broadcast: &'a BroadcastCreate) -> BoxFuture<'a, PlatformResult<Broadcast>> {
        Box::pin(self.client.write(Method::POST, "/v1/broadcasts", Some(broadcast), key))
    }

    fn set_lineup<'a>(&'a self, key: &'a str, broadcast_id: &'a str, products: &'a [String]) -> BoxFuture<'a, PlatformResult<Broadcast>> {
        Box::pin(async move {
            let body = LineupUpdate { products: products.to_vec() };
            self.client.write(Method::PUT, &broadcast_path(broadcast_id, "/lineup"), Some(&body), key).await
        })
    }

    fn broadcast<'a>(&'a self, broadcast_id: &'a str) -> BoxFuture<'a, PlatformResult<Broadcast>> {
        Box::pin(async move { self.client.get(&broadcast_path(broadcast_id, "")).await })
    }

    fn start_broadcast<'a>(&'a self, key: &'a str, broadcast_id: &'a str) -> BoxFuture<'a, PlatformResult<StreamTarget>> {
        Box::pin(async move { self.client.write::<(), _>(Method::POST, &broadcast_path(broadcast_id, "/start"), None, key).await })
    }

    fn end_broadcast<'a>(&'a self, key: &'a str, broadcast_id: &'a str) -> BoxFuture<'a, PlatformResult<Broadcast>> {
        Box::pin(async move { self.client.write::<(), _>(Method::POST, &broadcast_path(broadcast_id, "/end"), None, key).await })
    }

    fn bag<'a>(&'a self, broadcast_id: &'a str) -> BoxFuture<'a, PlatformResult<Bag>> {
        Box::pin(async move { self.client.get(&broadcast_path(broadcast_id, "/bag")).await })
    }

    fn list_in_bag<'a>(&'a self, key: &'a str, broadcast_id: &'a str, sku: &'a str, live_price_fen: i64) -> BoxFuture<'a, PlatformResult<Bag>> {
        Box::pin(async move {
            let path = broadcast_path(broadcast_id, &format!("/bag/{}", encode_segment(sku)));
            self.client.write(Method::PUT, &path, Some(&BagListing { live_price_fen }), key).await
        })
    }

    fn unlist_from_bag<'a>(&'a self, key: &'a str, broadcast_id: &'a str, sku: &'a str) -> BoxFuture<'a, PlatformResult<Bag>> {
        Box::pin(async move {
            let path = broadcast_path(broadcast_id, &format!("/bag/{}", encode_segment(sku)));
            self.client.write::<(), _>(Method::DELETE, &path, None, key).await
        })
    }

    fn pin<'a>(&'a self, key: &'a str, broadcast_id: &'a str, sku: Option<&'a str>) -> BoxFuture<'a, PlatformResult<Broadcast>> {
        Box::pin(async move {
            let body = PinRequest { sku: sku.map(str::to_owned) };
            self.client.write(Method::PUT, &broadcast_path(broadcast_id, "/pin"), Some(&body), key).await
        })
    }

    fn create_coupon<'a>(&'a self, key: &'a str, broadcast_id: &'a str, coupon: &'a CouponCreate) -> BoxFuture<'a, PlatformResult<Coupon>> {
        Box::pin(async move { self.client.write(Method::POST, &broadcast_path(broadcast_id, "/coupons"), Some(coupon), key).await })
    }

    fn events<'a>(&'a self, broadcast_id: &'a str, after: i64, limit: u32) -> BoxFuture<'a, PlatformResult<EventPage>> {
        Box::pin(async move { self.client.get(&broadcast_path(broadcast_id, &format!("/events?after={after}&limit={limit}"))).await })
    }

    fn orders<'a>(&'a self, broadcast_id: &'a str, after: i64, limit: u32) -> BoxFuture<'a, PlatformResult<OrderPage>> {
        Box::pin(async move { self.client.get(&broadcast_path(broadcast_id, &format!("/orders?after={after}&limit={limit}"))).await })
    }

    fn metrics<'a>(&'a self, broadcast_id: &'a str) -> BoxFuture<'a, PlatformResult<BroadcastMetrics>> {
        Box::pin(async move { self.client.get(&broadcast_path(broadcast_id, "/metrics")).await })
    }

    fn event_stream<'a>(&'a self, broadcast_id: &'a str, after: i64) -> BoxFuture<'a, PlatformResult<BoxStream<'static, PlatformResult<LiveEvent>>>> {
        Box::pin(async move {
            let stream = self.client.event_stream(&broadcast_path(broadcast_id, &format!("/events/stream?after={after}"))).await?;
            Ok(stream.boxed())
        })
    }

    fn set_script<'a>(&'a self, key: &'a str, broadcast_id: &'a str, script: &'a BroadcastScript) -> BoxFuture<'a, PlatformResult<ScriptState>> {
        Box::pin(async move { self.client.write(Method::PUT, &broadcast_path(broadcast_id, "/script"), Some(script), key).await })
    }

    fn script<'a>(&'a self, broadcast_id: &'a str) -> BoxFuture<'a, PlatformResult<ScriptState>> {
        Box::pin(async move { self.client.get(&broadcast_path(broadcast_id, "/script")).await })
    }

    fn reply<'a>(&'a self, key: &'a str, broadcast_id: &'a str, reply: &'a ReplyCreate) -> BoxFuture<'a, PlatformResult<Reply>> {
        Box::pin(async move { self.client.write(Method::POST, &broadcast_path(broadcast_id, "/replies"), Some(reply), key).await })
    }

    fn timeline<'a>(&'a self, broadcast_id: &'a str) -> BoxFuture<'a, PlatformResult<Vec<MetricsPoint>>> {
        Box::pin(async move { self.client.get(&broadcast_path(broadcast_id, "/metrics/timeline")).await })
    }

    fn probe_upload<'a>(&'a self, bytes: usize) -> BoxFuture<'a, PlatformResult<UploadProbe>> {
        Box::pin(async move {
            let payload = crate::probe::payload(bytes);
            self.client.post_bytes_once(crate::probe::PATH, &payload, crate::probe::timeout_for(bytes)).await
        })
    }
}
