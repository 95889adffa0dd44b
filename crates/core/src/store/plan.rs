//! Tables `segment`, `checklist_item` and `go_live_override`.

use super::broadcasts::{ensure_live_broadcast, insert_broadcast};
use super::{Store, now_rfc3339};
use crate::error::StoreError;
use crate::model::{Broadcast, BroadcastDraft, BroadcastId, LineupItemId};
use crate::plan::*;
use crate::templates::Template;
use crate::validate::{FieldError, FieldErrorCode};
use rusqlite::{Connection, OptionalExtension, Row, params};

const SEGMENT_COLUMNS: &str =
    "id, broadcast_id, position, kind, title, title_en, planned_minutes, person, talking_points, cues, lineup_item_id";
const CHECKLIST_COLUMNS: &str =
    "id, broadcast_id, position, phase, role, title, title_en, critical, auto_check, law_ref, done_at, done_by";

impl Store {
    /// Creates a broadcast with the template's segments, checklist, target duration and
    /// scene (the draft's own target and scene win when set).
    pub fn create_broadcast_from_template(&mut self, draft: &BroadcastDraft, template: &Template) -> Result<Broadcast, StoreError> {
        let resolved = template
            .resolve()
            .map_err(|err| StoreError::Invalid(vec![FieldError::new("template", FieldErrorCode::UnknownValue, err.to_string())]))?;
        let mut draft = draft.clone();
        if draft.target_minutes == 0 {
            draft.target_minutes = template.target_minutes;
        }
        if draft.scene.is_empty()
            && let Some(scene) = &template.scene
        {
            draft.scene = scene.clone();
        }
        let tx = self.conn.transaction()?;
        let id = insert_broadcast(&tx, &draft, Some(&template.name))?;
        for (position, (kind, person, segment)) in resolved.segments.iter().enumerate() {
            let segment_draft = SegmentDraft {
                kind: *kind,
                title: segment.title.clone(),
                title_en: segment.title_en.clone(),
                planned_minutes: segment.minutes,
                person: *person,
                talking_points: segment.talking_points.trim().to_string(),
                cues: segment.cues.trim().to_string(),
            };
            insert_segment(&tx, id, position as i64, &segment_draft, None)?;
        }
        for (position, (phase, role, auto, item)) in resolved.checklist.iter().enumerate() {
            tx.execute(
                "INSERT INTO checklist_item (broadcast_id, position, phase, role, title, title_en, critical, auto_check, law_ref) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    id.0,
                    position as i64,
                    phase.code(),
                    role.code(),
                    item.title,
                    item.title_en,
                    item.critical,
                    auto.map(|a| a.code()),
                    item.law
                ],
            )?;
        }
        tx.commit()?;
        self.broadcast(id)
    }

    /// A template made from a broadcast: its run-of-show without the product segments (those
    /// come from each broadcast's line-up), its checklist without the ticks, its target and
    /// scene, under `title` (the same in English unless given).
    pub fn template_from_broadcast(&self, id: BroadcastId, name: &str, title: &str, title_en: &str) -> Result<Template, StoreError> {
        let broadcast = self.broadcast(id)?;
        let show = self.run_of_show(id)?;
        let segments = show
            .segments
            .iter()
            .filter(|view| view.segment.lineup_item_id.is_none())
            .map(|view| {
                let draft = &view.segment.draft;
                crate::templates::TemplateSegment {
                    kind: draft.kind.code().into(),
                    title: draft.title.clone(),
                    title_en: if draft.title_en.is_empty() { draft.title.clone() } else { draft.title_en.clone() },
                    minutes: draft.planned_minutes,
                    person: draft.person.code().into(),
                    talking_points: draft.talking_points.clone(),
                    cues: draft.cues.clone(),
                }
            })
            .collect();
        let checklist = self
            .checklist(id)?
            .iter()
            .map(|item| crate::templates::TemplateChecklistItem {
                phase: item.phase.code().into(),
                role: item.role.code().into(),
                title: item.title.clone(),
                title_en: if item.title_en.is_empty() { item.title.clone() } else { item.title_en.clone() },
                critical: item.critical,
                auto: item.auto_check.map(|a| a.code().into()),
                law: item.law_ref.clone(),
            })
            .collect();
        let title = title.trim();
        Ok(Template {
            name: name.to_string(),
            title: title.to_string(),
            title_en: if title_en.trim().is_empty() { title.to_string() } else { title_en.trim().to_string() },
            description: format!("由场次「{}」另存", broadcast.draft.title),
            description_en: format!("Saved from the broadcast \"{}\"", broadcast.draft.title),
            target_minutes: show.target_minutes.max(show.planned_minutes),
            scene: Some(broadcast.draft.scene.clone()).filter(|s| !s.is_empty()),
            segments,
            checklist,
        })
    }

    /// Copies a broadcast (line-up, segments, checklist with ticks cleared) as the start of
    /// the next one.
    pub fn duplicate_broadcast(&mut self, id: BroadcastId, title: &str) -> Result<Broadcast, StoreError> {
        let source = self.broadcast(id)?;
        let tx = self.conn.transaction()?;
        ensure_live_broadcast(&tx, id)?;
        let mut draft = source.draft.clone();
        draft.title = title.trim().to_string();
        let copy = insert_broadcast(&tx, &draft, source.template.as_deref())?;
        tx.execute(
            "INSERT INTO lineup_item (broadcast_id, product_id, position, live_price_fen, coupon, stock, planned_minutes, role) \
             SELECT ?1, product_id, position, live_price_fen, coupon, stock, planned_minutes, role FROM lineup_item WHERE broadcast_id = ?2",
            params![copy.0, id.0],
        )?;
        // Product segments are linked to the copy's own line-up items, matched by product.
        tx.execute(
            "INSERT INTO segment (broadcast_id, position, kind, title, title_en, planned_minutes, person, talking_points, cues, lineup_item_id) \
             SELECT ?1, s.position, s.kind, s.title, s.title_en, s.planned_minutes, s.person, s.talking_points, s.cues, \
                    (SELECT n.id FROM lineup_item n JOIN lineup_item o ON o.product_id = n.product_id \
                     WHERE n.broadcast_id = ?1 AND o.id = s.lineup_item_id) \
             FROM segment s WHERE s.broadcast_id = ?2",
            params![copy.0, id.0],
        )?;
        tx.execute(
            "INSERT INTO checklist_item (broadcast_id, position, phase, role, title, title_en, critical, auto_check, law_ref) \
             SELECT ?1, position, phase, role, title, title_en, critical, auto_check, law_ref FROM checklist_item WHERE broadcast_id = ?2",
            params![copy.0, id.0],
        )?;
        super::outbox::publish_lineup(&tx, copy)?;
        tx.commit()?;
        self.broadcast(copy)
    }

    /// The run-of-show, with product segments filled in from the line-up.
    pub fn run_of_show(&self, broadcast: BroadcastId) -> Result<RunOfShow, StoreError> {
        let header = self.broadcast(broadcast)?;
        let lineup = self.lineup(broadcast)?;
        let mut segments = Vec::new();
        let mut minute = 0;
        for segment in segments_of(&self.conn, broadcast)? {
            let item = segment.lineup_item_id.and_then(|id| lineup.iter().find(|item| item.id == id));
            let (minutes, product) = match item {
                Some(item) => {
                    let product = self.product(item.product_id)?;
                    (
                        item.terms.planned_minutes,
                        Some(SegmentProduct {
                            sku: item.product_sku.clone(),
                            name: item.product_name.clone(),
                            live_price: item.terms.live_price,
                            everyday_price: item.product_price,
                            stock: item.terms.stock,
                            coupon: item.terms.coupon.clone(),
                            selling_points: product.draft.selling_points,
                        }),
                    )
                }
                None => (segment.draft.planned_minutes, None),
            };
            segments.push(SegmentView { segment, minutes, starts_at_minute: minute, product });
            minute += minutes;
        }
        Ok(RunOfShow { broadcast_id: broadcast, segments, planned_minutes: minute, target_minutes: header.draft.target_minutes })
    }

    /// Adds a segment at the end (before the closing segment, if there is one).
    pub fn add_segment(&mut self, broadcast: BroadcastId, draft: &SegmentDraft) -> Result<Segment, StoreError> {
        if draft.kind == SegmentKind::Product {
            return Err(product_segment_error());
        }
        let tx = self.conn.transaction()?;
        ensure_live_broadcast(&tx, broadcast)?;
        let segments = segments_of(&tx, broadcast)?;
        let position = segments
            .iter()
            .find(|s| s.draft.kind == SegmentKind::Closing)
            .map(|s| s.position as i64)
            .unwrap_or(segments.len() as i64);
        tx.execute(
            "UPDATE segment SET position = position + 1 WHERE broadcast_id = ?1 AND position >= ?2",
            params![broadcast.0, position],
        )?;
        let id = insert_segment(&tx, broadcast, position, draft, None)?;
        tx.commit()?;
        segment(&self.conn, id)
    }

    /// Changes a segment. A product segment keeps its kind and link; its minutes live on the
    /// line-up item.
    pub fn update_segment(&mut self, id: SegmentId, draft: &SegmentDraft) -> Result<Segment, StoreError> {
        let current = segment(&self.conn, id)?;
        let is_product = current.lineup_item_id.is_some();
        if is_product != (draft.kind == SegmentKind::Product) {
            return Err(product_segment_error());
        }
        self.conn.execute(
            "UPDATE segment SET kind = ?1, title = ?2, title_en = ?3, planned_minutes = ?4, person = ?5, talking_points = ?6, cues = ?7 \
             WHERE id = ?8",
            params![
                draft.kind.code(),
                draft.title.trim(),
                draft.title_en.trim(),
                draft.planned_minutes.max(0),
                draft.person.code(),
                draft.talking_points,
                draft.cues,
                id.0
            ],
        )?;
        segment(&self.conn, id)
    }

    /// Removes a segment (not a product segment: remove the item from the line-up instead).
    /// Returns it for undo.
    pub fn remove_segment(&mut self, id: SegmentId) -> Result<Segment, StoreError> {
        let current = segment(&self.conn, id)?;
        if current.lineup_item_id.is_some() {
            return Err(product_segment_error());
        }
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM segment WHERE id = ?1", params![id.0])?;
        renumber_segments(&tx, current.broadcast_id)?;
        tx.commit()?;
        Ok(current)
    }

    /// Puts a removed segment back where it was.
    pub fn restore_segment(&mut self, removed: &Segment) -> Result<Segment, StoreError> {
        let tx = self.conn.transaction()?;
        ensure_live_broadcast(&tx, removed.broadcast_id)?;
        tx.execute(
            "UPDATE segment SET position = position + 1 WHERE broadcast_id = ?1 AND position >= ?2",
            params![removed.broadcast_id.0, removed.position],
        )?;
        let d = &removed.draft;
        tx.execute(
            "INSERT INTO segment (id, broadcast_id, position, kind, title, title_en, planned_minutes, person, talking_points, cues) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                removed.id.0,
                removed.broadcast_id.0,
                removed.position,
                d.kind.code(),
                d.title,
                d.title_en,
                d.planned_minutes,
                d.person.code(),
                d.talking_points,
                d.cues
            ],
        )?;
        renumber_segments(&tx, removed.broadcast_id)?;
        tx.commit()?;
        segment(&self.conn, removed.id)
    }

    /// Sets the segment order. Product segments move with it; the line-up follows their order.
    pub fn reorder_segments(&mut self, broadcast: BroadcastId, order: &[SegmentId]) -> Result<RunOfShow, StoreError> {
        let tx = self.conn.transaction()?;
        ensure_live_broadcast(&tx, broadcast)?;
        let current = segments_of(&tx, broadcast)?;
        let mut have: Vec<i64> = current.iter().map(|s| s.id.0).collect();
        let mut want: Vec<i64> = order.iter().map(|s| s.0).collect();
        have.sort_unstable();
        want.sort_unstable();
        if have != want {
            return Err(StoreError::Invalid(vec![FieldError::new("order", FieldErrorCode::UnknownValue, format!("{order:?}"))]));
        }
        for (position, id) in order.iter().enumerate() {
            tx.execute("UPDATE segment SET position = ?1 WHERE id = ?2", params![position as i64, id.0])?;
        }
        // The line-up's running order is the order of its product segments.
        let mut item_position = 0i64;
        for id in order {
            if let Some(item) = current.iter().find(|s| s.id == *id).and_then(|s| s.lineup_item_id) {
                tx.execute("UPDATE lineup_item SET position = ?1 WHERE id = ?2", params![item_position, item.0])?;
                item_position += 1;
            }
        }
        tx.commit()?;
        self.run_of_show(broadcast)
    }

    /// The broadcast's checklist items in phase and position order.
    pub fn checklist(&self, broadcast: BroadcastId) -> Result<Vec<ChecklistItem>, StoreError> {
        let sql = format!(
            "SELECT {CHECKLIST_COLUMNS} FROM checklist_item WHERE broadcast_id = ?1 \
             ORDER BY CASE phase WHEN 'preLive' THEN 0 WHEN 'onAir' THEN 1 ELSE 2 END, position"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![broadcast.0], checklist_item_from_row)?;
        rows.map(|row| row?).collect()
    }

    /// Ticks or unticks a manual item, recording who and when. Automatic items cannot be ticked.
    pub fn set_checklist_done(&mut self, id: ChecklistItemId, done: bool, by: &str) -> Result<ChecklistItem, StoreError> {
        let auto: Option<Option<String>> = self
            .conn
            .query_row("SELECT auto_check FROM checklist_item WHERE id = ?1", params![id.0], |r| r.get(0))
            .optional()?;
        match auto {
            None => return Err(StoreError::NotFound { entity: "checklistItem", id: id.0 }),
            Some(Some(_)) => {
                return Err(StoreError::Invalid(vec![FieldError::new("done", FieldErrorCode::UnknownValue, "automatic")]));
            }
            Some(None) => {}
        }
        if done {
            self.conn.execute(
                "UPDATE checklist_item SET done_at = ?1, done_by = ?2 WHERE id = ?3",
                params![now_rfc3339(), by.trim(), id.0],
            )?;
        } else {
            self.conn.execute("UPDATE checklist_item SET done_at = NULL, done_by = NULL WHERE id = ?1", params![id.0])?;
        }
        let sql = format!("SELECT {CHECKLIST_COLUMNS} FROM checklist_item WHERE id = ?1");
        self.conn.query_row(&sql, params![id.0], checklist_item_from_row)?
    }

    /// Evaluates every automatic check and builds the go-live gate.
    pub fn checklist_state(&self, broadcast: BroadcastId, env: &CheckEnv) -> Result<ChecklistState, StoreError> {
        let header = self.broadcast(broadcast)?;
        let lineup = self.lineup(broadcast)?;
        let mut items = Vec::with_capacity(lineup.len());
        for item in lineup {
            let product = self.product(item.product_id)?;
            items.push((item, product));
        }
        let show = self.run_of_show(broadcast)?;
        let talking_points: Vec<String> = show.segments.iter().map(|s| s.segment.draft.talking_points.clone()).collect();
        let unresolved_claim_errors = match &env.linter {
            Some(linter) => Some(self.compliance_report(broadcast, linter)?.n_unresolved_errors),
            None => None,
        };
        let input = CheckInput {
            items: &items,
            talking_points: &talking_points,
            after_sales_contact: &header.draft.after_sales_contact,
            planned_minutes: show.planned_minutes.max(show.target_minutes),
            unresolved_claim_errors,
        };
        let entries: Vec<ChecklistEntry> = self
            .checklist(broadcast)?
            .into_iter()
            .map(|item| {
                let outcome = item.auto_check.map(|check| evaluate(check, &input, env));
                let satisfied = match &outcome {
                    Some(outcome) => *outcome == CheckOutcome::Pass,
                    None => item.done_at.is_some(),
                };
                ChecklistEntry { item, outcome, satisfied }
            })
            .collect();
        let override_reason = self.go_live_override(broadcast)?;
        Ok(ChecklistState { gate: gate(&entries, override_reason), entries })
    }

    /// Records a lead's written reason to go live despite open critical items.
    pub fn override_go_live(&mut self, broadcast: BroadcastId, reason: &str, by: &str) -> Result<GoLiveOverride, StoreError> {
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
            "INSERT INTO go_live_override (broadcast_id, reason, given_by, given_at) VALUES (?1, ?2, ?3, ?4)",
            params![broadcast.0, reason.trim(), by.trim(), now_rfc3339()],
        )?;
        self.go_live_override(broadcast)?.ok_or(StoreError::Corrupt("override just written is missing".into()))
    }

    /// Withdraws the override, so the gate applies again.
    pub fn clear_go_live_override(&mut self, broadcast: BroadcastId) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM go_live_override WHERE broadcast_id = ?1", params![broadcast.0])?;
        Ok(())
    }

    fn go_live_override(&self, broadcast: BroadcastId) -> Result<Option<GoLiveOverride>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT reason, given_by, given_at FROM go_live_override WHERE broadcast_id = ?1 ORDER BY id DESC LIMIT 1",
                params![broadcast.0],
                |r| Ok(GoLiveOverride { reason: r.get(0)?, given_by: r.get(1)?, given_at: r.get(2)? }),
            )
            .optional()?)
    }
}

impl Store {
    /// Replaces the run-of-show with a script read by [`crate::script::parse_markdown`], in
    /// one transaction: other segments are replaced, product segments (by `[SKU]`) get the
    /// script's text and minutes, and the line-up follows the script's order. A SKU that is
    /// not in the line-up refuses the whole import, naming the line.
    pub fn import_script(&mut self, broadcast: BroadcastId, segments: &[crate::script::ImportedSegment]) -> Result<RunOfShow, StoreError> {
        let lineup = self.lineup(broadcast)?;
        let unknown: Vec<FieldError> = segments
            .iter()
            .filter_map(|s| s.sku.as_ref().map(|sku| (s.line, sku)))
            .filter(|(_, sku)| !lineup.iter().any(|item| &item.product_sku == *sku))
            .map(|(line, sku)| FieldError::new("script", FieldErrorCode::UnknownValue, format!("line {line}: product {sku} is not in the line-up")))
            .collect();
        if !unknown.is_empty() {
            return Err(StoreError::Invalid(unknown));
        }
        let tx = self.conn.transaction()?;
        ensure_live_broadcast(&tx, broadcast)?;
        let existing = segments_of(&tx, broadcast)?;
        tx.execute("DELETE FROM segment WHERE broadcast_id = ?1 AND lineup_item_id IS NULL", params![broadcast.0])?;
        let mut order: Vec<i64> = Vec::new();
        for imported in segments {
            let draft = SegmentDraft {
                kind: imported.kind,
                title: imported.title.clone(),
                title_en: String::new(),
                planned_minutes: imported.minutes.unwrap_or(5),
                person: imported.person,
                talking_points: imported.talking_points.clone(),
                cues: imported.cues.clone(),
            };
            match &imported.sku {
                Some(sku) => {
                    let item = lineup.iter().find(|item| &item.product_sku == sku).expect("SKUs were checked above");
                    let segment = existing
                        .iter()
                        .find(|s| s.lineup_item_id == Some(item.id))
                        .ok_or_else(|| StoreError::Corrupt(format!("line-up item {} has no segment", item.id)))?;
                    tx.execute(
                        "UPDATE segment SET talking_points = ?1, cues = ?2, person = ?3 WHERE id = ?4",
                        params![draft.talking_points, draft.cues, draft.person.code(), segment.id.0],
                    )?;
                    if let Some(minutes) = imported.minutes {
                        tx.execute("UPDATE lineup_item SET planned_minutes = ?1 WHERE id = ?2", params![minutes, item.id.0])?;
                    }
                    order.push(segment.id.0);
                }
                None => order.push(insert_segment(&tx, broadcast, -1, &draft, None)?.0),
            }
        }
        // Product segments the script does not mention keep their place at the end.
        for segment in existing.iter().filter(|s| s.lineup_item_id.is_some()) {
            if !order.contains(&segment.id.0) {
                order.push(segment.id.0);
            }
        }
        let mut item_position = 0i64;
        for (position, id) in order.iter().enumerate() {
            tx.execute("UPDATE segment SET position = ?1 WHERE id = ?2", params![position as i64, id])?;
            if let Some(item) = existing.iter().find(|s| s.id.0 == *id).and_then(|s| s.lineup_item_id) {
                tx.execute("UPDATE lineup_item SET position = ?1 WHERE id = ?2", params![item_position, item.0])?;
                item_position += 1;
            }
        }
        tx.commit()?;
        self.run_of_show(broadcast)
    }
}

fn product_segment_error() -> StoreError {
    StoreError::Invalid(vec![FieldError::new("kind", FieldErrorCode::UnknownValue, SegmentKind::Product.code())])
}

fn insert_segment(
    conn: &Connection,
    broadcast: BroadcastId,
    position: i64,
    draft: &SegmentDraft,
    lineup_item: Option<LineupItemId>,
) -> Result<SegmentId, StoreError> {
    conn.execute(
        "INSERT INTO segment (broadcast_id, position, kind, title, title_en, planned_minutes, person, talking_points, cues, lineup_item_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            broadcast.0,
            position,
            draft.kind.code(),
            draft.title.trim(),
            draft.title_en.trim(),
            draft.planned_minutes.max(0),
            draft.person.code(),
            draft.talking_points,
            draft.cues,
            lineup_item.map(|i| i.0)
        ],
    )?;
    Ok(SegmentId(conn.last_insert_rowid()))
}

fn segment(conn: &Connection, id: SegmentId) -> Result<Segment, StoreError> {
    let sql = format!("SELECT {SEGMENT_COLUMNS} FROM segment WHERE id = ?1");
    conn.query_row(&sql, params![id.0], segment_from_row)
        .optional()?
        .ok_or(StoreError::NotFound { entity: "segment", id: id.0 })?
}

fn segments_of(conn: &Connection, broadcast: BroadcastId) -> Result<Vec<Segment>, StoreError> {
    let sql = format!("SELECT {SEGMENT_COLUMNS} FROM segment WHERE broadcast_id = ?1 ORDER BY position, id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![broadcast.0], segment_from_row)?;
    rows.map(|row| row?).collect()
}

fn renumber_segments(conn: &Connection, broadcast: BroadcastId) -> Result<(), StoreError> {
    for (position, segment) in segments_of(conn, broadcast)?.iter().enumerate() {
        conn.execute("UPDATE segment SET position = ?1 WHERE id = ?2", params![position as i64, segment.id.0])?;
    }
    Ok(())
}

/// Keeps one product segment per line-up item, in the line-up's order: adds segments for
/// new items (after the last product segment, else before the closing, else at the end)
/// and renumbers. Removed items lose their segment through the foreign key.
pub(super) fn sync_product_segments(conn: &Connection, broadcast: BroadcastId) -> Result<(), StoreError> {
    let mut items: Vec<(i64, String, String)> = conn
        .prepare_cached(
            "SELECT l.id, p.name, p.selling_points FROM lineup_item l JOIN product p ON p.id = l.product_id \
             WHERE l.broadcast_id = ?1 ORDER BY l.position, l.id",
        )?
        .query_map(params![broadcast.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut segments = segments_of(conn, broadcast)?;
    for (item_id, name, selling_points) in &items {
        if segments.iter().any(|s| s.lineup_item_id == Some(LineupItemId(*item_id))) {
            continue;
        }
        let at = segments
            .iter()
            .rposition(|s| s.lineup_item_id.is_some())
            .map(|idx| idx + 1)
            .or_else(|| segments.iter().position(|s| s.draft.kind == SegmentKind::Closing))
            .unwrap_or(segments.len());
        let draft = SegmentDraft {
            kind: SegmentKind::Product,
            title: name.clone(),
            title_en: String::new(),
            planned_minutes: 0,
            person: Person::Anchor,
            talking_points: selling_points.clone(),
            cues: String::new(),
        };
        let id = insert_segment(conn, broadcast, -1, &draft, Some(LineupItemId(*item_id)))?;
        segments.insert(at, segment(conn, id)?);
    }
    // Product segments take the line-up's order among the slots they occupy.
    let slots: Vec<usize> = segments.iter().enumerate().filter(|(_, s)| s.lineup_item_id.is_some()).map(|(i, _)| i).collect();
    items.retain(|(id, ..)| segments.iter().any(|s| s.lineup_item_id == Some(LineupItemId(*id))));
    let ordered: Vec<Segment> = items
        .iter()
        .filter_map(|(id, ..)| segments.iter().find(|s| s.lineup_item_id == Some(LineupItemId(*id))).cloned())
        .collect();
    for (slot, segment) in slots.iter().zip(ordered) {
        segments[*slot] = segment;
    }
    for (position, segment) in segments.iter().enumerate() {
        conn.execute("UPDATE segment SET position = ?1 WHERE id = ?2", params![position as i64, segment.id.0])?;
    }
    Ok(())
}

fn segment_from_row(row: &Row<'_>) -> rusqlite::Result<Result<Segment, StoreError>> {
    let kind: String = row.get(3)?;
    let person: String = row.get(7)?;
    let (Some(kind), Some(person)) = (SegmentKind::parse(&kind), Person::parse(&person)) else {
        return Ok(Err(StoreError::Corrupt(format!("segment {} has kind {kind:?} / person {person:?}", row.get::<_, i64>(0)?))));
    };
    Ok(Ok(Segment {
        id: SegmentId(row.get(0)?),
        broadcast_id: BroadcastId(row.get(1)?),
        position: row.get(2)?,
        lineup_item_id: row.get::<_, Option<i64>>(10)?.map(LineupItemId),
        draft: SegmentDraft {
            kind,
            title: row.get(4)?,
            title_en: row.get(5)?,
            planned_minutes: row.get(6)?,
            person,
            talking_points: row.get(8)?,
            cues: row.get(9)?,
        },
    }))
}

fn checklist_item_from_row(row: &Row<'_>) -> rusqlite::Result<Result<ChecklistItem, StoreError>> {
    let phase: String = row.get(3)?;
    let role: String = row.get(4)?;
    let auto: Option<String> = row.get(8)?;
    let (Some(phase), Some(role)) = (Phase::parse(&phase), Role::parse(&role)) else {
        return Ok(Err(StoreError::Corrupt(format!("checklist item phase {phase:?} / role {role:?}"))));
    };
    let auto_check = match auto.as_deref().map(AutoCheck::parse) {
        None => None,
        Some(Some(check)) => Some(check),
        Some(None) => return Ok(Err(StoreError::Corrupt(format!("checklist item auto check {auto:?}")))),
    };
    Ok(Ok(ChecklistItem {
        id: ChecklistItemId(row.get(0)?),
        broadcast_id: BroadcastId(row.get(1)?),
        position: row.get(2)?,
        phase,
        role,
        title: row.get(5)?,
        title_en: row.get(6)?,
        critical: row.get(7)?,
        auto_check,
        law_ref: row.get(9)?,
        done_at: row.get(10)?,
        done_by: row.get(11)?,
    }))
}
