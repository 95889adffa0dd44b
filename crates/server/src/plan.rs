//! Broadcasts planned on the web page (网页排期): an 运营, owner or teacher without a desk
//! plans a broadcast for a room — title, start, template, the line-up from the shared catalog
//! with live prices — and the desks working for that room take it at their next sync (from
//! `GET /api/v1/orgs/{org}/plans`, the plans no desk has claimed; a desk claims one with
//! `POST …/plans/{key}/claim` before it makes it, and the first desk to claim gets it; the
//! desk makes the broadcast from its template; from then on it is the desk's, published back
//! like its own with the plan's key).

use crate::routes::{ApiError, ApiResult, AppState, Caller, ROOM_PLANNERS, Shared, Written, write, write_if};
use axum::http::StatusCode;
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

/// `YYYY-MM-DDTHH:MM` naming a real minute (the desks refuse anything else).
fn is_local_date_time(text: &str) -> bool {
    let b = text.as_bytes();
    let shaped = b.len() == 16
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 => *c == b':',
            _ => c.is_ascii_digit(),
        });
    if !shaped {
        return false;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
    let (year, month, day, hour, minute) = (number(0..4), number(5..7), number(8..10), number(11..13), number(14..16));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    year >= 2000 && (1..=days).contains(&day) && hour < 24 && minute < 60
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

/// Withdraws a plan that is still waiting (a desk that took it has the broadcast already).
pub(crate) async fn withdraw(state: &AppState, caller: &Caller, key: &str) -> ApiResult<Written> {
    caller.may(ROOM_PLANNERS, "withdraw planned broadcasts")?;
    write_if(state, caller, caller.org_id, Shared::Doc("plan", key), None, None, None, |current| match current {
        Some(plan) if !plan["claimedBy"].is_null() => Err(ApiError::new(StatusCode::CONFLICT, "taken", "a desk has taken this plan already: change the broadcast on that desk")),
        _ => Ok(()),
    })
    .await
}

/// A desk takes a waiting plan: the first desk of the plan's room to ask gets it; the same
/// desk asking again gets it again (a retry), any other gets 409.
pub(crate) async fn claim(state: &AppState, caller: &Caller, key: &str, desk: &str) -> ApiResult<Written> {
    let desk = desk.trim();
    if desk.is_empty() || desk.len() > 100 {
        return Err(ApiError::invalid("name the desk taking the plan (1-100 characters)"));
    }
    let client = state.pool.get().await?;
    let row = client
        .query_opt("SELECT body FROM shared_doc WHERE org_id = $1 AND kind = 'plan' AND key = $2 AND body IS NOT NULL", &[&caller.org_id, &key])
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut body: Value = row.get(0);
    // A desk works for a room its member works in, or any room when its member plans for
    // every room (the same rule as publishing into a room).
    if let Some(room) = body["room"]["id"].as_i64()
        && !ROOM_PLANNERS.contains(&caller.role.as_str())
    {
        let works_there = client.query_opt("SELECT 1 FROM room_member WHERE room_id = $1 AND member_id = $2", &[&room, &caller.member_id]).await?.is_some();
        if !works_there {
            return Err(ApiError::forbidden("take a plan for a room you do not work in"));
        }
    }
    drop(client);
    let (member, desk_owned) = (caller.member_id, desk.to_owned());
    body["claimedBy"] = json!({ "member": member, "desk": desk });
    write_if(state, caller, caller.org_id, Shared::Doc("plan", key), Some(body), None, None, move |current| {
        let claimed = current.map(|plan| &plan["claimedBy"]).filter(|c| !c.is_null());
        match claimed {
            Some(by) if by["desk"].as_str() != Some(desk_owned.as_str()) || by["member"].as_i64() != Some(member) => {
                Err(ApiError::new(StatusCode::CONFLICT, "taken", "another desk has taken this plan"))
            }
            _ if current.is_none() => Err(ApiError::not_found()),
            _ => Ok(()),
        }
    })
    .await
}

/// A broadcast may name plan `key` only when the caller's desk took it.
pub(crate) async fn check_taken_by(state: &AppState, caller: &Caller, key: &str) -> ApiResult<()> {
    let client = state.pool.get().await?;
    let taken_by = client
        .query_opt("SELECT body->'claimedBy'->>'member' FROM shared_doc WHERE org_id = $1 AND kind = 'plan' AND key = $2", &[&caller.org_id, &key])
        .await?
        .and_then(|row| row.get::<_, Option<String>>(0));
    if taken_by.as_deref() != Some(caller.member_id.to_string().as_str()) {
        return Err(ApiError::invalid(format!("this broadcast names the plan {key:?}, which your desk did not take")));
    }
    Ok(())
}

/// The organisation's plans no desk has taken yet (no desk claimed them).
pub(crate) async fn waiting(state: &AppState, org: i64) -> ApiResult<Vec<Value>> {
    let client = state.pool.get().await?;
    let rows = client
        .query(
            "SELECT p.key, p.body, to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM shared_doc p \
             WHERE p.org_id = $1 AND p.kind = 'plan' AND p.body IS NOT NULL AND p.body->'claimedBy' IS NULL \
             ORDER BY p.body->>'start', p.key",
            &[&org],
        )
        .await?;
    Ok(rows.iter().map(|r| json!({ "key": r.get::<_, String>(0), "body": r.get::<_, Value>(1), "at": r.get::<_, String>(2) })).collect())
}
