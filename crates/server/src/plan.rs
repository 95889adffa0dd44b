//! Broadcasts planned on the web page (网页排期): an 运营, owner or teacher without a desk
//! plans a broadcast for a room — title, start, template, the line-up from the shared catalog
//! with live prices — and the desks working for that room take it at their next sync (from
//! `GET /api/v1/orgs/{org}/plans`, the plans no published broadcast names yet; the
//! desk makes the broadcast from its template; from then on it is the desk's, published back
//! like its own with the plan's key, which takes the plan off the "waiting" list).

use crate::routes::{ApiError, ApiResult, AppState, Caller, ROOM_PLANNERS, Shared, write};
use serde_json::{Value, json};

/// The desks' built-in templates, by name, with their titles (the desk has the rest).
pub(crate) fn templates() -> &'static [(String, String, String)] {
    static TEMPLATES: std::sync::OnceLock<Vec<(String, String, String)>> = std::sync::OnceLock::new();
    TEMPLATES.get_or_init(|| {
        [
            ("farmer", include_str!("../../../assets/templates/farmer.toml")),
            ("county", include_str!("../../../assets/templates/county.toml")),
            ("mcn", include_str!("../../../assets/templates/mcn.toml")),
            ("course", include_str!("../../../assets/templates/course.toml")),
        ]
        .into_iter()
        .map(|(name, source)| {
            let table: toml::Table = source.parse().expect("the built-in templates are valid TOML (tested)");
            let title = |key: &str| table.get(key).and_then(|v| v.as_str()).unwrap_or(name).to_owned();
            (name.to_owned(), title("title"), title("title_en"))
        })
        .collect()
    })
}

/// The built-in templates and the organisation's own (shared by its desks), by name.
pub(crate) async fn all_templates(state: &AppState, org: i64) -> ApiResult<Vec<(String, String, String)>> {
    let mut all = templates().to_vec();
    let client = state.pool.get().await?;
    let rows = client.query("SELECT key, body FROM shared_doc WHERE org_id = $1 AND kind = 'template' AND body IS NOT NULL ORDER BY key", &[&org]).await?;
    for row in &rows {
        let body: Value = row.get(1);
        all.push((row.get(0), body["title"].as_str().unwrap_or_default().to_owned(), body["titleEn"].as_str().unwrap_or_default().to_owned()));
    }
    Ok(all)
}

/// A broadcast to plan, as the form sends it.
pub(crate) struct PlanInput {
    pub title: String,
    /// `YYYY-MM-DDTHH:MM`, local time of the room.
    pub start: String,
    pub room: Option<i64>,
    /// A built-in template's name, or empty for none.
    pub template: String,
    /// The phone or account viewers contact for after-sales (the desk's gate asks for it).
    pub contact: String,
    /// SKUs of the shared catalog, each with its live price in fen (the catalog price when
    /// `None`).
    pub lineup: Vec<(String, Option<i64>)>,
}

fn is_local_date_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 16
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// Checks a plan against the organisation (its rooms and catalog) and writes it as a shared
/// document of kind `plan`, into the change feed. Returns its key.
pub(crate) async fn plan_broadcast(state: &AppState, caller: &Caller, input: PlanInput) -> ApiResult<String> {
    caller.may(ROOM_PLANNERS, "plan broadcasts")?;
    let org = caller.org_id;
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 80 {
        return Err(ApiError::invalid("a broadcast's title is 1 to 80 characters"));
    }
    let start = input.start.trim();
    if !is_local_date_time(start) {
        return Err(ApiError::invalid(format!("the start {start:?} is not a date and time (YYYY-MM-DDTHH:MM)")));
    }
    let template = input.template.trim();
    if !template.is_empty() && !all_templates(state, org).await?.iter().any(|(name, ..)| name == template) {
        return Err(ApiError::invalid(format!("no template is called {template:?}")));
    }
    let contact = input.contact.trim();
    if contact.chars().count() > 80 {
        return Err(ApiError::invalid("the after-sales contact is at most 80 characters"));
    }
    if input.lineup.is_empty() {
        return Err(ApiError::invalid("pick at least one product of the shared catalog for the line-up"));
    }
    let client = state.pool.get().await?;
    let room = match input.room {
        None => Value::Null,
        Some(id) => {
            let row = client.query_opt("SELECT name, kind FROM room WHERE id = $1 AND org_id = $2", &[&id, &org]).await?.ok_or_else(|| ApiError::invalid("that room is not one of your organisation's"))?;
            json!({ "id": id, "name": row.get::<_, String>(0), "kind": row.get::<_, String>(1) })
        }
    };
    let mut lineup = Vec::new();
    for (sku, live_price) in &input.lineup {
        let row = client
            .query_opt("SELECT body FROM product WHERE org_id = $1 AND sku = $2 AND body IS NOT NULL", &[&org, sku])
            .await?
            .ok_or_else(|| ApiError::invalid(format!("{sku} is not in the shared catalog")))?;
        let body: Value = row.get(0);
        let price = live_price.or_else(|| body["price"].as_i64()).unwrap_or(0);
        if price <= 0 {
            return Err(ApiError::invalid(format!("{sku}: give a live price above zero")));
        }
        lineup.push(json!({ "sku": sku, "name": body["name"], "livePriceFen": price }));
    }
    let email: String = client.query_one("SELECT email FROM member WHERE id = $1", &[&caller.member_id]).await?.get(0);
    drop(client);
    let key = format!("web-{}", crate::auth::new_token().get(..16).unwrap_or_default());
    let body = json!({ "title": title, "start": start, "room": room, "template": template, "afterSalesContact": contact, "lineup": lineup, "plannedBy": email });
    let written = write(state, caller, org, Shared::Doc("plan", &key), Some(body), None, None).await?;
    Ok(written.sku)
}

/// The organisation's plans no desk has taken yet (no published broadcast names them).
pub(crate) async fn waiting(state: &AppState, org: i64) -> ApiResult<Vec<Value>> {
    let client = state.pool.get().await?;
    let rows = client
        .query(
            "SELECT p.key, p.body, to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM shared_doc p \
             WHERE p.org_id = $1 AND p.kind = 'plan' AND p.body IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM shared_doc b WHERE b.org_id = p.org_id AND b.kind = 'broadcast' AND b.body->>'plan' = p.key) \
             ORDER BY p.body->>'start', p.key",
            &[&org],
        )
        .await?;
    Ok(rows.iter().map(|r| json!({ "key": r.get::<_, String>(0), "body": r.get::<_, Value>(1), "at": r.get::<_, String>(2) })).collect())
}
