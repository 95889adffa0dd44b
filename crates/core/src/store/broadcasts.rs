//! Tables `broadcast` and `lineup_item`.

use super::{Store, now_rfc3339};
use crate::error::StoreError;
use crate::model::{
    AnchorId, Broadcast, BroadcastDraft, BroadcastId, LineupItem, LineupItemId, LineupRole, LineupTerms, ProductId,
};
use crate::money::Fen;
use crate::validate::{FieldError, FieldErrorCode};
use rusqlite::{Connection, OptionalExtension, Row, params};

const BROADCAST_SELECT: &str = "SELECT b.id, b.title, b.planned_start, b.platform, b.anchor_id, b.updated_at, \
     (SELECT count(*) FROM lineup_item l WHERE l.broadcast_id = b.id), \
     (SELECT coalesce(sum(planned_minutes), 0) FROM lineup_item l WHERE l.broadcast_id = b.id), \
     b.target_minutes, b.after_sales_contact, b.template, b.scene \
     FROM broadcast b";

const LINEUP_SELECT: &str = "SELECT l.id, l.broadcast_id, l.product_id, l.position, p.sku, p.name, p.price_fen, \
     l.live_price_fen, l.coupon, l.stock, l.planned_minutes, l.role \
     FROM lineup_item l JOIN product p ON p.id = l.product_id";

impl Store {
    /// Broadcasts not deleted, soonest planned start first.
    pub fn broadcasts(&self) -> Result<Vec<Broadcast>, StoreError> {
        let sql = format!("{BROADCAST_SELECT} WHERE b.deleted_at IS NULL ORDER BY b.planned_start DESC, b.id DESC");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let broadcasts = stmt.query_map([], broadcast_from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(broadcasts)
    }

    /// One broadcast, also when deleted.
    pub fn broadcast(&self, id: BroadcastId) -> Result<Broadcast, StoreError> {
        let sql = format!("{BROADCAST_SELECT} WHERE b.id = ?1");
        self.conn
            .query_row(&sql, params![id.0], broadcast_from_row)
            .optional()?
            .ok_or(StoreError::NotFound { entity: "broadcast", id: id.0 })
    }

    /// Creates a broadcast with an empty line-up.
    pub fn create_broadcast(&mut self, draft: &BroadcastDraft) -> Result<Broadcast, StoreError> {
        let id = insert_broadcast(&self.conn, draft, None)?;
        self.broadcast(id)
    }

    /// Changes a broadcast's title, start, platform, anchor, target, after-sales contact or scene.
    pub fn update_broadcast(&mut self, id: BroadcastId, draft: &BroadcastDraft) -> Result<Broadcast, StoreError> {
        let n = self.conn.execute(
            "UPDATE broadcast SET title = ?1, planned_start = ?2, platform = ?3, anchor_id = ?4, updated_at = ?5, \
             target_minutes = ?7, after_sales_contact = ?8, scene = ?9 WHERE id = ?6 AND deleted_at IS NULL",
            params![
                draft.title,
                draft.planned_start,
                draft.platform,
                draft.anchor_id.map(|a| a.0),
                now_rfc3339(),
                id.0,
                draft.target_minutes,
                draft.after_sales_contact,
                draft.scene
            ],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound { entity: "broadcast", id: id.0 });
        }
        self.broadcast(id)
    }

    /// Soft-deletes a broadcast with its line-up; [`Store::restore_broadcast`] undoes it.
    pub fn delete_broadcast(&mut self, id: BroadcastId) -> Result<(), StoreError> {
        let n = self.conn.execute(
            "UPDATE broadcast SET deleted_at = ?1 WHERE id = ?2 AND deleted_at IS NULL",
            params![now_rfc3339(), id.0],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound { entity: "broadcast", id: id.0 });
        }
        Ok(())
    }

    /// Undoes [`Store::delete_broadcast`].
    pub fn restore_broadcast(&mut self, id: BroadcastId) -> Result<(), StoreError> {
        let n = self.conn.execute("UPDATE broadcast SET deleted_at = NULL WHERE id = ?1", params![id.0])?;
        if n == 0 {
            return Err(StoreError::NotFound { entity: "broadcast", id: id.0 });
        }
        Ok(())
    }

    /// The broadcast's line-up in running order.
    pub fn lineup(&self, broadcast: BroadcastId) -> Result<Vec<LineupItem>, StoreError> {
        let sql = format!("{LINEUP_SELECT} WHERE l.broadcast_id = ?1 ORDER BY l.position, l.id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let items = stmt.query_map(params![broadcast.0], lineup_item_from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(items)
    }

    /// Appends a product to the line-up, with the product's price and stock as the starting
    /// terms (the team then sets the live price). A product appears at most once.
    pub fn add_lineup_item(&mut self, broadcast: BroadcastId, product: ProductId) -> Result<LineupItem, StoreError> {
        let tx = self.conn.transaction()?;
        ensure_live_broadcast(&tx, broadcast)?;
        let (price, stock): (i64, i64) = tx
            .query_row(
                "SELECT price_fen, stock FROM product WHERE id = ?1 AND deleted_at IS NULL",
                params![product.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or(StoreError::NotFound { entity: "product", id: product.0 })?;
        let already: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM lineup_item WHERE broadcast_id = ?1 AND product_id = ?2)",
            params![broadcast.0, product.0],
            |r| r.get(0),
        )?;
        if already {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "productId",
                FieldErrorCode::DuplicateSku,
                product.0.to_string(),
            )]));
        }
        let position: i64 = tx.query_row(
            "SELECT coalesce(max(position) + 1, 0) FROM lineup_item WHERE broadcast_id = ?1",
            params![broadcast.0],
            |r| r.get(0),
        )?;
        let terms = LineupTerms {
            live_price: Fen(price),
            coupon: String::new(),
            stock: stock.min(i32::MAX as i64) as i32,
            planned_minutes: 5,
            role: LineupRole::Profit,
        };
        tx.execute(
            "INSERT INTO lineup_item (broadcast_id, product_id, position, live_price_fen, coupon, stock, planned_minutes, role) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![broadcast.0, product.0, position, terms.live_price.0, terms.coupon, terms.stock, terms.planned_minutes, terms.role.code()],
        )?;
        let id = LineupItemId(tx.last_insert_rowid());
        super::plan::sync_product_segments(&tx, broadcast)?;
        lineup_changed(&tx, broadcast)?;
        tx.commit()?;
        self.lineup_item(id)
    }

    /// One line-up item.
    pub fn lineup_item(&self, id: LineupItemId) -> Result<LineupItem, StoreError> {
        let sql = format!("{LINEUP_SELECT} WHERE l.id = ?1");
        self.conn
            .query_row(&sql, params![id.0], lineup_item_from_row)
            .optional()?
            .ok_or(StoreError::NotFound { entity: "lineupItem", id: id.0 })
    }

    /// Sets an item's live price, coupon, stock, minutes and role.
    pub fn update_lineup_terms(&mut self, id: LineupItemId, terms: &LineupTerms) -> Result<LineupItem, StoreError> {
        let tx = self.conn.transaction()?;
        let broadcast: i64 = tx
            .query_row("SELECT broadcast_id FROM lineup_item WHERE id = ?1", params![id.0], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::NotFound { entity: "lineupItem", id: id.0 })?;
        tx.execute(
            "UPDATE lineup_item SET live_price_fen = ?1, coupon = ?2, stock = ?3, planned_minutes = ?4, role = ?5 WHERE id = ?6",
            params![terms.live_price.0, terms.coupon, terms.stock, terms.planned_minutes, terms.role.code(), id.0],
        )?;
        lineup_changed(&tx, BroadcastId(broadcast))?;
        if is_live(&tx, BroadcastId(broadcast))? {
            // On air the bag shows the live price: the platform hears the new one now.
            let sku: String = tx.query_row(
                "SELECT p.sku FROM lineup_item l JOIN product p ON p.id = l.product_id WHERE l.id = ?1",
                params![id.0],
                |r| r.get(0),
            )?;
            super::outbox::enqueue_broadcast(
                &tx,
                BroadcastId(broadcast),
                super::outbox::OutboxOp::ListInBag {
                    broadcast_id: super::outbox::platform_broadcast_id(BroadcastId(broadcast)),
                    sku,
                    live_price_fen: terms.live_price.0,
                },
            )?;
        }
        tx.commit()?;
        self.lineup_item(id)
    }

    /// Removes an item and closes the gap. Returns it, so that
    /// [`Store::restore_lineup_item`] can put it back (undo).
    pub fn remove_lineup_item(&mut self, id: LineupItemId) -> Result<LineupItem, StoreError> {
        let item = self.lineup_item(id)?;
        refuse_while_live(&self.conn, item.broadcast_id)?;
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM lineup_item WHERE id = ?1", params![id.0])?;
        tx.execute(
            "UPDATE lineup_item SET position = position - 1 WHERE broadcast_id = ?1 AND position > ?2",
            params![item.broadcast_id.0, item.position],
        )?;
        super::plan::sync_product_segments(&tx, item.broadcast_id)?;
        lineup_changed(&tx, item.broadcast_id)?;
        tx.commit()?;
        Ok(item)
    }

    /// Puts a removed item back where it was, with its id and terms.
    pub fn restore_lineup_item(&mut self, item: &LineupItem) -> Result<LineupItem, StoreError> {
        let tx = self.conn.transaction()?;
        ensure_live_broadcast(&tx, item.broadcast_id)?;
        let n_items: i64 = tx.query_row(
            "SELECT count(*) FROM lineup_item WHERE broadcast_id = ?1",
            params![item.broadcast_id.0],
            |r| r.get(0),
        )?;
        let position = (item.position as i64).clamp(0, n_items);
        tx.execute(
            "UPDATE lineup_item SET position = position + 1 WHERE broadcast_id = ?1 AND position >= ?2",
            params![item.broadcast_id.0, position],
        )?;
        let t = &item.terms;
        tx.execute(
            "INSERT INTO lineup_item (id, broadcast_id, product_id, position, live_price_fen, coupon, stock, planned_minutes, role) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![item.id.0, item.broadcast_id.0, item.product_id.0, position, t.live_price.0, t.coupon, t.stock, t.planned_minutes, t.role.code()],
        )?;
        super::plan::sync_product_segments(&tx, item.broadcast_id)?;
        lineup_changed(&tx, item.broadcast_id)?;
        tx.commit()?;
        self.lineup_item(item.id)
    }

    /// Sets the running order. `order` must hold exactly the broadcast's item ids.
    pub fn reorder_lineup(&mut self, broadcast: BroadcastId, order: &[LineupItemId]) -> Result<Vec<LineupItem>, StoreError> {
        refuse_while_live(&self.conn, broadcast)?;
        let tx = self.conn.transaction()?;
        ensure_live_broadcast(&tx, broadcast)?;
        let mut current: Vec<i64> = tx
            .prepare("SELECT id FROM lineup_item WHERE broadcast_id = ?1")?
            .query_map(params![broadcast.0], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut wanted: Vec<i64> = order.iter().map(|id| id.0).collect();
        current.sort_unstable();
        wanted.sort_unstable();
        if current != wanted {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "order",
                FieldErrorCode::UnknownValue,
                format!("{order:?}"),
            )]));
        }
        for (position, item_id) in order.iter().enumerate() {
            tx.execute(
                "UPDATE lineup_item SET position = ?1 WHERE id = ?2 AND broadcast_id = ?3",
                params![position as i64, item_id.0, broadcast.0],
            )?;
        }
        super::plan::sync_product_segments(&tx, broadcast)?;
        lineup_changed(&tx, broadcast)?;
        tx.commit()?;
        self.lineup(broadcast)
    }
}

pub(super) fn insert_broadcast(conn: &Connection, draft: &BroadcastDraft, template: Option<&str>) -> Result<BroadcastId, StoreError> {
    let now = now_rfc3339();
    conn.execute(
        "INSERT INTO broadcast (title, planned_start, platform, anchor_id, target_minutes, after_sales_contact, template, created_at, updated_at, scene) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
        params![
            draft.title,
            draft.planned_start,
            draft.platform,
            draft.anchor_id.map(|a| a.0),
            draft.target_minutes,
            draft.after_sales_contact,
            template,
            now,
            draft.scene
        ],
    )?;
    Ok(BroadcastId(conn.last_insert_rowid()))
}

/// While a broadcast is on air its line-up is evidence (markers point at its items) and
/// the console counts on its order: removing or reordering waits until it ends.
fn refuse_while_live(conn: &Connection, broadcast: BroadcastId) -> Result<(), StoreError> {
    if is_live(conn, broadcast)? {
        return Err(StoreError::Invalid(vec![FieldError::new("lineup", FieldErrorCode::UnknownValue, "on air")]));
    }
    Ok(())
}

fn is_live(conn: &Connection, broadcast: BroadcastId) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM live_session WHERE broadcast_id = ?1 AND status = 'live')",
        params![broadcast.0],
        |r| r.get(0),
    )?)
}

pub(super) fn ensure_live_broadcast(conn: &Connection, id: BroadcastId) -> Result<(), StoreError> {
    let live: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM broadcast WHERE id = ?1 AND deleted_at IS NULL)",
        params![id.0],
        |r| r.get(0),
    )?;
    if live { Ok(()) } else { Err(StoreError::NotFound { entity: "broadcast", id: id.0 }) }
}

/// Every line-up change ends here: the broadcast is marked changed and the platform is
/// told the new line-up (see [`super::outbox::publish_lineup`]).
fn lineup_changed(conn: &Connection, id: BroadcastId) -> Result<(), StoreError> {
    conn.execute("UPDATE broadcast SET updated_at = ?1 WHERE id = ?2", params![now_rfc3339(), id.0])?;
    super::outbox::publish_lineup(conn, id)
}

fn broadcast_from_row(row: &Row<'_>) -> rusqlite::Result<Broadcast> {
    Ok(Broadcast {
        id: BroadcastId(row.get(0)?),
        draft: BroadcastDraft {
            title: row.get(1)?,
            planned_start: row.get(2)?,
            platform: row.get(3)?,
            anchor_id: row.get::<_, Option<i64>>(4)?.map(AnchorId),
            target_minutes: row.get(8)?,
            after_sales_contact: row.get(9)?,
            scene: row.get(11)?,
        },
        updated_at: row.get(5)?,
        n_items: row.get(6)?,
        planned_minutes: row.get(7)?,
        template: row.get(10)?,
    })
}

fn lineup_item_from_row(row: &Row<'_>) -> rusqlite::Result<LineupItem> {
    let role: String = row.get(11)?;
    Ok(LineupItem {
        id: LineupItemId(row.get(0)?),
        broadcast_id: BroadcastId(row.get(1)?),
        product_id: ProductId(row.get(2)?),
        position: row.get(3)?,
        product_sku: row.get(4)?,
        product_name: row.get(5)?,
        product_price: Fen(row.get(6)?),
        terms: LineupTerms {
            live_price: Fen(row.get(7)?),
            coupon: row.get(8)?,
            stock: row.get(9)?,
            planned_minutes: row.get(10)?,
            role: LineupRole::parse(&role).unwrap_or_default(),
        },
    })
}
