//! Table `claim_ack`, and gathering a broadcast's texts for the compliance review.

use super::broadcasts::ensure_live_broadcast;
use super::{Store, now_rfc3339};
use crate::compliance::{Acknowledgement, ComplianceReport, FindingKey, Text, TextSource, product_context, review};
use crate::error::StoreError;
use crate::model::BroadcastId;
use crate::validate::{FieldError, FieldErrorCode};
use anchordesk_claims::Linter;
use rusqlite::{OptionalExtension, params};

impl Store {
    /// Lints one text, cross-checked with a product's facts when one is given (through its
    /// line-up item when there is one: live price, stock, gifts in the line-up).
    pub fn lint_text_for(
        &self,
        linter: &Linter,
        text: &str,
        product: Option<crate::model::ProductId>,
        item: Option<crate::model::LineupItemId>,
    ) -> Result<Vec<anchordesk_claims::Finding>, StoreError> {
        let item = item.map(|id| self.lineup_item(id)).transpose()?;
        let Some(product_id) = item.as_ref().map(|i| i.product_id).or(product) else {
            return Ok(linter.lint(text, &anchordesk_claims::LintOptions::default()));
        };
        let product = self.product(product_id)?;
        let lineup = match &item {
            Some(item) => self.lineup(item.broadcast_id)?,
            None => Vec::new(),
        };
        let context = product_context(&product, item.as_ref(), &lineup);
        Ok(linter.lint(text, &anchordesk_claims::LintOptions { product: Some(&context), ..anchordesk_claims::LintOptions::default() }))
    }

    /// Lints everything the broadcast will say and show, with each product's facts.
    pub fn compliance_report(&self, broadcast: BroadcastId, linter: &Linter) -> Result<ComplianceReport, StoreError> {
        self.broadcast(broadcast)?;
        let lineup = self.lineup(broadcast)?;
        let mut texts = Vec::new();
        for item in &lineup {
            let product = self.product(item.product_id)?;
            let context = product_context(&product, Some(item), &lineup);
            let label = product.draft.name.clone();
            texts.push(Text {
                source: TextSource::ProductName,
                owner_id: product.id.0,
                label: label.clone(),
                text: product.draft.name.clone(),
                context: Some(context.clone()),
            });
            texts.push(Text {
                source: TextSource::SellingPoints,
                owner_id: product.id.0,
                label: label.clone(),
                text: product.draft.selling_points.clone(),
                context: Some(context.clone()),
            });
            if !item.terms.coupon.trim().is_empty() {
                texts.push(Text {
                    source: TextSource::Coupon,
                    owner_id: item.id.0,
                    label,
                    text: item.terms.coupon.clone(),
                    context: Some(context),
                });
            }
        }
        for view in self.run_of_show(broadcast)?.segments {
            let segment = view.segment;
            // A product segment's talking points are checked with that product's facts.
            let context = segment.lineup_item_id.and_then(|id| lineup.iter().find(|i| i.id == id)).and_then(|item| {
                self.product(item.product_id).ok().map(|product| product_context(&product, Some(item), &lineup))
            });
            for (source, text) in [
                (TextSource::SegmentTitle, &segment.draft.title),
                (TextSource::TalkingPoints, &segment.draft.talking_points),
                (TextSource::Cues, &segment.draft.cues),
            ] {
                if text.trim().is_empty() {
                    continue;
                }
                texts.push(Text {
                    source,
                    owner_id: segment.id.0,
                    label: segment.draft.title.clone(),
                    text: text.clone(),
                    context: context.clone(),
                });
            }
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT reason, given_by, given_at FROM claim_ack \
             WHERE broadcast_id = ?1 AND source = ?2 AND owner_id = ?3 AND rule_id = ?4 AND matched = ?5",
        )?;
        let acknowledged = |key: &FindingKey| {
            stmt.query_row(params![broadcast.0, key.source.code(), key.owner_id, key.rule_id, key.matched], |r| {
                Ok(Acknowledgement { reason: r.get(0)?, given_by: r.get(1)?, given_at: r.get(2)? })
            })
            .optional()
            .ok()
            .flatten()
        };
        let cell = std::cell::RefCell::new(acknowledged);
        Ok(review(broadcast, &texts, linter, &|key| (cell.borrow_mut())(key)))
    }

    /// Keeps a flagged claim on purpose, with the reason (e.g. the award certificate is on file).
    pub fn acknowledge_finding(&mut self, broadcast: BroadcastId, key: &FindingKey, reason: &str, by: &str) -> Result<(), StoreError> {
        let mut errors = Vec::new();
        if reason.trim().chars().count() < 4 {
            errors.push(FieldError::new("reason", FieldErrorCode::Required, reason));
        }
        if by.trim().is_empty() {
            errors.push(FieldError::new("givenBy", FieldErrorCode::Required, by));
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        ensure_live_broadcast(&self.conn, broadcast)?;
        self.conn.execute(
            "INSERT INTO claim_ack (broadcast_id, source, owner_id, rule_id, matched, reason, given_by, given_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             ON CONFLICT (broadcast_id, source, owner_id, rule_id, matched) \
             DO UPDATE SET reason = excluded.reason, given_by = excluded.given_by, given_at = excluded.given_at",
            params![broadcast.0, key.source.code(), key.owner_id, key.rule_id, key.matched, reason.trim(), by.trim(), now_rfc3339()],
        )?;
        Ok(())
    }

    /// Withdraws an acknowledgement.
    pub fn withdraw_acknowledgement(&mut self, broadcast: BroadcastId, key: &FindingKey) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM claim_ack WHERE broadcast_id = ?1 AND source = ?2 AND owner_id = ?3 AND rule_id = ?4 AND matched = ?5",
            params![broadcast.0, key.source.code(), key.owner_id, key.rule_id, key.matched],
        )?;
        Ok(())
    }
}
