//! The catalog as the team server exchanges it: what changed on this desk since a moment,
//! and a change from the team applied by SKU.

use super::Store;
use crate::error::StoreError;
use crate::model::ProductDraft;
use rusqlite::params;

/// A product written or deleted on this desk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogChange {
    pub sku: String,
    /// The product as it is now; `None` when it was deleted.
    pub draft: Option<ProductDraft>,
    /// When (RFC 3339), the product's `updated_at` or `deleted_at`.
    pub at: String,
}

impl Store {
    /// Products written or deleted at or after `since` (RFC 3339; empty for all), oldest
    /// first (at, not after: two changes can share a moment; the caller skips what it sent).
    /// Samples are the desk's own and are left out.
    pub fn catalog_changes_since(&self, since: &str) -> Result<Vec<CatalogChange>, StoreError> {
        let mut stmt = self.conn.prepare(
            // By time value, not by text: RFC 3339 text drops trailing zeros of the fraction,
            // so `…05.12Z` would sort after `…05.123Z`.
            "SELECT id, sku, CASE WHEN deleted_at IS NULL THEN updated_at ELSE deleted_at END AS at, deleted_at IS NOT NULL
             FROM product WHERE is_sample = 0
               AND (?1 = '' OR julianday(updated_at) >= julianday(?1) OR julianday(deleted_at) >= julianday(?1))
             ORDER BY julianday(at), id",
        )?;
        let rows: Vec<(i64, String, String, bool)> = stmt.query_map(params![since], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
        let mut changes = Vec::new();
        for (id, sku, at, deleted) in rows {
            // A deleted product whose SKU lives on in another product is that product's change.
            if deleted && self.product_by_sku(&sku)?.is_some() {
                continue;
            }
            let draft = if deleted { None } else { Some(self.product(crate::ProductId(id))?.draft) };
            changes.push(CatalogChange { sku, draft, at });
        }
        // An SKU a product was renamed from is a deletion of that SKU, unless a product
        // carries it again; a moment before the renamed product's own change.
        let mut retired = self.conn.prepare(
            "SELECT r.sku, r.retired_at FROM retired_sku r JOIN product p ON p.id = r.product_id
             WHERE p.is_sample = 0 AND (?1 = '' OR julianday(r.retired_at) >= julianday(?1))
               AND NOT EXISTS (SELECT 1 FROM product q WHERE q.sku = r.sku AND q.deleted_at IS NULL)
             ORDER BY julianday(r.retired_at)",
        )?;
        let rows: Vec<(String, String)> = retired.query_map(params![since], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        // The latest retirement of each SKU (retired twice, A→B then A→C, is one deletion).
        let mut latest: Vec<(String, String)> = Vec::new();
        for (sku, at) in rows {
            latest.retain(|(seen, _)| seen != &sku);
            latest.push((sku, at));
        }
        for (sku, at) in latest {
            if !changes.iter().any(|c| c.sku == sku) {
                let position = changes.partition_point(|c| super::unix_nanos(&c.at) < super::unix_nanos(&at));
                changes.insert(position, CatalogChange { sku, draft: None, at });
            }
        }
        Ok(changes)
    }

    /// Applies a product from the team by SKU: created, replaced, or (with `None`) deleted.
    /// Returns the local moment of the change (the product's `updated_at` or `deleted_at`),
    /// so that the desk does not send it back as its own.
    pub fn apply_team_product(&mut self, sku: &str, draft: Option<&ProductDraft>) -> Result<Option<String>, StoreError> {
        let existing = self.product_by_sku(sku)?;
        match (existing, draft) {
            (Some(product), Some(draft)) => Ok(Some(self.update_product(product.id, draft)?.updated_at)),
            (None, Some(draft)) => Ok(Some(self.create_product(draft)?.updated_at)),
            (Some(product), None) => {
                self.delete_products(&[product.id])?;
                Ok(self.conn.query_row("SELECT deleted_at FROM product WHERE id = ?1", params![product.id.0], |r| r.get(0))?)
            }
            (None, None) => Ok(None),
        }
    }
}
