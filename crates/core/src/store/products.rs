//! Table `product` and its `certificate`s.

use super::Store;
use crate::error::StoreError;
use crate::model::{Certificate, CertificateKind, Product, ProductDraft, ProductId, Storage};
use crate::money::Fen;
use crate::validate::{FieldError, FieldErrorCode};
use rusqlite::{Connection, OptionalExtension, Row, params};

const PRODUCT_COLUMNS: &str = "id, sku, name, origin, spec, price_fen, stock, shelf_life_days, storage, \
     cold_chain, selling_points, is_sample, updated_at, after_sales, category, registered_functions";

/// Whether an upsert added a product or changed an existing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upserted {
    Inserted(ProductId),
    Updated(ProductId),
}

impl Store {
    /// Products not deleted, by name; `query` filters by SKU, name, origin or spec (substring).
    pub fn products(&self, query: &str) -> Result<Vec<Product>, StoreError> {
        let pattern = format!("%{}%", escape_like(query.trim()));
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM product WHERE deleted_at IS NULL \
             AND (sku LIKE ?1 ESCAPE '\\' OR name LIKE ?1 ESCAPE '\\' OR origin LIKE ?1 ESCAPE '\\' OR spec LIKE ?1 ESCAPE '\\') \
             ORDER BY is_sample, name COLLATE NOCASE, id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut products = stmt.query_map(params![pattern], product_from_row)?.collect::<Result<Vec<_>, _>>()?;
        attach_certificates(&self.conn, &mut products)?;
        Ok(products)
    }

    /// One product, also when deleted.
    pub fn product(&self, id: ProductId) -> Result<Product, StoreError> {
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM product WHERE id = ?1");
        let product = self.conn.query_row(&sql, params![id.0], product_from_row).optional()?;
        let mut products = vec![product.ok_or(StoreError::NotFound { entity: "product", id: id.0 })?];
        attach_certificates(&self.conn, &mut products)?;
        Ok(products.remove(0))
    }

    /// The live product with this SKU, if any.
    pub fn product_by_sku(&self, sku: &str) -> Result<Option<Product>, StoreError> {
        let id: Option<i64> = self
            .conn
            .query_row("SELECT id FROM product WHERE sku = ?1 AND deleted_at IS NULL", params![sku], |r| r.get(0))
            .optional()?;
        id.map(|id| self.product(ProductId(id))).transpose()
    }

    /// Adds a product. Refuses a SKU that a live product already has.
    pub fn create_product(&mut self, draft: &ProductDraft) -> Result<Product, StoreError> {
        let now = self.product_now();
        let tx = self.conn.transaction()?;
        ensure_sku_free(&tx, &draft.sku, None)?;
        let id = insert(&tx, draft, false, &now)?;
        super::outbox::enqueue_product(&tx, draft)?;
        tx.commit()?;
        self.product(id)
    }

    /// Replaces a product's fields and certificates. Editing a sample keeps it a sample.
    pub fn update_product(&mut self, id: ProductId, draft: &ProductDraft) -> Result<Product, StoreError> {
        let now = self.product_now();
        let tx = self.conn.transaction()?;
        ensure_sku_free(&tx, &draft.sku, Some(id))?;
        let old_sku: Option<String> = tx.query_row("SELECT sku FROM product WHERE id = ?1", params![id.0], |r| r.get(0)).optional()?;
        if let Some(old_sku) = old_sku.filter(|old| old != &draft.sku) {
            // A renamed SKU is a new listing on the platform; the old one stops selling, and
            // a team this desk shares with withdraws it (`catalog_changes_since`).
            super::outbox::enqueue_withdraw(&tx, &old_sku)?;
            tx.execute("INSERT INTO retired_sku (sku, product_id, retired_at) VALUES (?1, ?2, ?3)", params![old_sku, id.0, now])?;
        }
        update(&tx, id, draft, &now)?;
        super::outbox::enqueue_product(&tx, draft)?;
        tx.commit()?;
        self.product(id)
    }

    /// Soft-deletes products; [`Store::restore_products`] undoes it. Line-ups keep their items.
    pub fn delete_products(&mut self, ids: &[ProductId]) -> Result<(), StoreError> {
        let now = self.product_now();
        let tx = self.conn.transaction()?;
        for id in ids {
            let n = tx.execute(
                "UPDATE product SET deleted_at = ?1 WHERE id = ?2 AND deleted_at IS NULL",
                params![now, id.0],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound { entity: "product", id: id.0 });
            }
            let sku: String = tx.query_row("SELECT sku FROM product WHERE id = ?1", params![id.0], |r| r.get(0))?;
            super::outbox::enqueue_withdraw(&tx, &sku)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Undoes [`Store::delete_products`]. Refused (nothing restored) when another live
    /// product took one of their SKUs meanwhile.
    pub fn restore_products(&mut self, ids: &[ProductId]) -> Result<(), StoreError> {
        let now = self.product_now();
        let tx = self.conn.transaction()?;
        for id in ids {
            let sku: String = tx
                .query_row("SELECT sku FROM product WHERE id = ?1", params![id.0], |r| r.get(0))
                .optional()?
                .ok_or(StoreError::NotFound { entity: "product", id: id.0 })?;
            ensure_sku_free(&tx, &sku, Some(*id))?;
            // A restore is a change of its own (a team must hear the product is back).
            tx.execute("UPDATE product SET deleted_at = NULL, updated_at = ?2 WHERE id = ?1", params![id.0, now])?;
            let restored = product_draft(&tx, *id)?;
            super::outbox::enqueue_product(&tx, &restored)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Ids of the live sample products, for "remove the sample catalog".
    pub fn sample_product_ids(&self) -> Result<Vec<ProductId>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id FROM product WHERE is_sample = 1 AND deleted_at IS NULL ORDER BY id")?;
        let ids = stmt.query_map([], |r| r.get(0).map(ProductId))?.collect::<Result<Vec<_>, _>>()?;
        Ok(ids)
    }

    /// Inserts or updates (by SKU) many products in ONE transaction: all or nothing.
    /// `progress` is called with the number done so far.
    pub fn upsert_products(
        &mut self,
        drafts: &[ProductDraft],
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Upserted>, StoreError> {
        let now = self.product_now();
        let tx = self.conn.transaction()?;
        let mut outcomes = Vec::with_capacity(drafts.len());
        for (idx, draft) in drafts.iter().enumerate() {
            let existing: Option<i64> = tx
                .prepare_cached("SELECT id FROM product WHERE sku = ?1 AND deleted_at IS NULL")?
                .query_row(params![draft.sku], |r| r.get(0))
                .optional()?;
            super::outbox::enqueue_product(&tx, draft)?;
            outcomes.push(match existing {
                Some(id) => {
                    update(&tx, ProductId(id), draft, &now)?;
                    Upserted::Updated(ProductId(id))
                }
                None => Upserted::Inserted(insert(&tx, draft, false, &now)?),
            });
            if idx % 512 == 511 {
                progress(idx + 1);
            }
        }
        tx.commit()?;
        progress(drafts.len());
        Ok(outcomes)
    }

    /// Number of live products.
    pub fn count_products(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT count(*) FROM product WHERE deleted_at IS NULL", [], |r| r.get(0))?)
    }
}

/// A product's draft with its certificates, inside a transaction.
fn product_draft(conn: &Connection, id: ProductId) -> Result<ProductDraft, StoreError> {
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM product WHERE id = ?1");
    let mut products = vec![conn.query_row(&sql, params![id.0], product_from_row)?];
    attach_certificates(conn, &mut products)?;
    Ok(products.remove(0).draft)
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

fn ensure_sku_free(conn: &Connection, sku: &str, except: Option<ProductId>) -> Result<(), StoreError> {
    let taken: Option<i64> = conn
        .query_row(
            "SELECT id FROM product WHERE sku = ?1 AND deleted_at IS NULL AND id != ?2",
            params![sku, except.map(|id| id.0).unwrap_or(-1)],
            |r| r.get(0),
        )
        .optional()?;
    match taken {
        Some(_) => Err(StoreError::Invalid(vec![FieldError::new("sku", FieldErrorCode::DuplicateSku, sku)])),
        None => Ok(()),
    }
}

pub(super) fn insert(conn: &Connection, draft: &ProductDraft, is_sample: bool, now: &str) -> Result<ProductId, StoreError> {
    conn.prepare_cached(
        "INSERT INTO product (sku, name, origin, spec, price_fen, stock, shelf_life_days, storage, cold_chain, \
         selling_points, is_sample, created_at, updated_at, after_sales, category, registered_functions) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        draft.sku,
        draft.name,
        draft.origin,
        draft.spec,
        draft.price.0,
        draft.stock,
        draft.shelf_life_days,
        draft.storage.code(),
        draft.cold_chain,
        draft.selling_points,
        is_sample,
        now,
        draft.after_sales,
        category_code(draft),
        draft.registered_functions,
    ])?;
    let id = ProductId(conn.last_insert_rowid());
    write_certificates(conn, id, &draft.certificates)?;
    Ok(id)
}

fn update(conn: &Connection, id: ProductId, draft: &ProductDraft, now: &str) -> Result<(), StoreError> {
    let n = conn
        .prepare_cached(
            "UPDATE product SET sku = ?1, name = ?2, origin = ?3, spec = ?4, price_fen = ?5, stock = ?6, \
             shelf_life_days = ?7, storage = ?8, cold_chain = ?9, selling_points = ?10, updated_at = ?11, \
             after_sales = ?13, category = ?14, registered_functions = ?15 WHERE id = ?12 AND deleted_at IS NULL",
        )?
        .execute(params![
            draft.sku,
            draft.name,
            draft.origin,
            draft.spec,
            draft.price.0,
            draft.stock,
            draft.shelf_life_days,
            draft.storage.code(),
            draft.cold_chain,
            draft.selling_points,
            now,
            id.0,
            draft.after_sales,
            category_code(draft),
            draft.registered_functions,
        ])?;
    if n == 0 {
        return Err(StoreError::NotFound { entity: "product", id: id.0 });
    }
    conn.prepare_cached("DELETE FROM certificate WHERE product_id = ?1")?.execute(params![id.0])?;
    write_certificates(conn, id, &draft.certificates)
}

/// The category as stored: its kebab-case name, or '' when not set.
fn category_code(draft: &ProductDraft) -> &'static str {
    draft.category.map_or("", |c| c.as_str())
}

fn write_certificates(conn: &Connection, id: ProductId, certificates: &[Certificate]) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO certificate (product_id, position, kind, number, issuer, valid_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (position, certificate) in certificates.iter().enumerate() {
        stmt.execute(params![
            id.0,
            position as i64,
            certificate.kind.code(),
            certificate.number,
            certificate.issuer,
            certificate.valid_until,
        ])?;
    }
    Ok(())
}

fn product_from_row(row: &Row<'_>) -> rusqlite::Result<Product> {
    let storage: String = row.get(8)?;
    Ok(Product {
        id: ProductId(row.get(0)?),
        draft: ProductDraft {
            sku: row.get(1)?,
            name: row.get(2)?,
            origin: row.get(3)?,
            spec: row.get(4)?,
            price: Fen(row.get(5)?),
            stock: row.get(6)?,
            shelf_life_days: row.get(7)?,
            storage: Storage::parse(&storage).unwrap_or_default(),
            cold_chain: row.get(9)?,
            selling_points: row.get(10)?,
            after_sales: row.get(13)?,
            certificates: Vec::new(),
            category: anchordesk_claims::ProductCategory::parse(&row.get::<_, String>(14)?),
            registered_functions: row.get(15)?,
        },
        is_sample: row.get(11)?,
        updated_at: row.get(12)?,
    })
}

fn attach_certificates(conn: &Connection, products: &mut [Product]) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, number, issuer, valid_until FROM certificate WHERE product_id = ?1 ORDER BY position",
    )?;
    for product in products {
        let rows = stmt.query_map(params![product.id.0], |row| {
            Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?;
        for row in rows {
            let (kind, number, issuer, valid_until) = row?;
            let kind = CertificateKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("certificate kind {kind:?} of product {}", product.id)))?;
            product.draft.certificates.push(Certificate { kind, number, issuer, valid_until });
        }
    }
    Ok(())
}
