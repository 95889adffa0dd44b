//! Cursored pulls of what the platform owns: live events (comments, likes, orders,
//! viewer counts) and orders.
//!
//! A pull returns everything after a cursor and the cursor to store next. The desk keeps
//! the cursor in its database in the same transaction as the pulled rows, so a pull cut
//! short by a crash or an outage resumes where the stored cursor says, and a row is
//! never taken twice.

use crate::adapter::Platform;
use crate::error::PlatformError;
use crate::types::{LiveEvent, Order};

/// Rows per page requested from the platform.
pub const PAGE: u32 = 500;

/// Pages through `fetch(cursor, limit) -> (items, next cursor)` until `max` items or a
/// short page, and returns them with the cursor to store next.
async fn paged<T, F, Fut>(after: i64, max: usize, mut fetch: F) -> Result<(Vec<T>, i64), PlatformError>
where
    F: FnMut(i64, u32) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, i64), PlatformError>>,
{
    let mut cursor = after;
    let mut items = Vec::new();
    while items.len() < max {
        let limit = PAGE.min((max - items.len()) as u32);
        let (page, next_after) = fetch(cursor, limit).await?;
        let n_items = page.len();
        items.extend(page);
        cursor = next_after;
        if n_items < limit as usize {
            break;
        }
    }
    Ok((items, cursor))
}

/// Events of `broadcast_id` after `after`, at most `max` of them, and the next cursor.
pub async fn events(platform: &dyn Platform, broadcast_id: &str, after: i64, max: usize) -> Result<(Vec<LiveEvent>, i64), PlatformError> {
    paged(after, max, |cursor, limit| async move {
        let page = platform.events(broadcast_id, cursor, limit).await?;
        Ok((page.items, page.next_after))
    })
    .await
}

/// Orders of `broadcast_id` after `after`, at most `max` of them, and the next cursor.
pub async fn orders(platform: &dyn Platform, broadcast_id: &str, after: i64, max: usize) -> Result<(Vec<Order>, i64), PlatformError> {
    paged(after, max, |cursor, limit| async move {
        let page = platform.orders(broadcast_id, cursor, limit).await?;
        Ok((page.items, page.next_after))
    })
    .await
}
