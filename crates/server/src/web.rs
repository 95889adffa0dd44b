//! The team's web page, for members without a desk (an 运营 on a phone, a teacher in a lab):
//! sign in, then the organisation's shared catalog and rule pack, and for the owner its
//! members and recent activity. Server-rendered HTML in Chinese or English, no script; the
//! session is the API's (a token of which only the hash is stored), carried in an HttpOnly,
//! SameSite=Strict cookie; forms are refused from another origin.

use crate::routes::{ApiError, ApiResult, AppState, Caller, broadcasts, caller_for_token, end_session, open_session, set_password};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::Value;
use std::fmt::Write as _;

const COOKIE: &str = "anchordesk_session";
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/team") }))
        .route("/web.css", get(stylesheet))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/team", get(team_page))
        .route("/password", post(choose_password))
        .route("/plan", post(plan))
        .route("/plan/withdraw", post(withdraw_plan))
        .route("/sign-out", post(sign_out))
}

/// The page's language: `?lang=en|zh-CN`, else the browser's first choice, else Chinese.
#[derive(Clone, Copy, PartialEq)]
enum Lang {
    Zh,
    En,
}

#[derive(Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
}

fn lang(query: &LangQuery, headers: &HeaderMap) -> Lang {
    let wanted = query.lang.clone().or_else(|| headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(str::to_string)).unwrap_or_default();
    if wanted.trim_start().to_ascii_lowercase().starts_with("en") { Lang::En } else { Lang::Zh }
}

/// Text in the page's language.
fn tr(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::En { en } else { zh }
}

/// HTML-escaped text (every value from the database or the request goes through this).
use anchordesk_text::escape_html as esc;

fn page(lang: Lang, title: &str, body: &str) -> Response {
    let html_lang = tr(lang, "zh-CN", "en");
    let other = tr(lang, "<a href=\"?lang=en\">English</a>", "<a href=\"?lang=zh-CN\">中文</a>");
    let html = format!(
        "<!doctype html><html lang=\"{html_lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · AnchorDesk</title><link rel=\"stylesheet\" href=\"/web.css\"></head>\
         <body><header><b>{brand}</b><nav>{other}</nav></header><main>{body}</main></body></html>",
        title = esc(title),
        brand = tr(lang, "主播工作台 · 团队", "AnchorDesk · Team"),
    );
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("web.css"))
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

fn cookie(state: &AppState, token: &str, max_age: i64) -> HeaderValue {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A form posted from another site is refused (the cookie is SameSite=Strict too).
/// Behind a proxy the host the browser used may come as `X-Forwarded-Host`.
fn same_origin(headers: &HeaderMap) -> ApiResult<()> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(()); // no Origin: not a cross-site browser form
    };
    let origin_host = origin.split("://").nth(1).unwrap_or_default();
    let hosts = [header::HOST.as_str(), "x-forwarded-host"];
    let ours = hosts.iter().filter_map(|name| headers.get(*name).and_then(|v| v.to_str().ok())).any(|host| host.split(',').any(|h| h.trim() == origin_host));
    if ours { Ok(()) } else { Err(ApiError { status: StatusCode::FORBIDDEN, code: "cross-site", message: "a form from another site".into() }) }
}

fn sign_in_form(lang: Lang, problem: Option<&str>, email: &str) -> String {
    let mut body = format!("<section class=\"card narrow\"><h1>{}</h1>", tr(lang, "登录团队", "Sign in to your team"));
    if let Some(problem) = problem {
        let _ = write!(body, "<p class=\"error\" role=\"alert\">{}</p>", esc(problem));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/sign-in{q}\"><label>{email_label}<input type=\"email\" name=\"email\" value=\"{email}\" required autocomplete=\"username\"></label>\
         <label>{password_label}<input type=\"password\" name=\"password\" required autocomplete=\"current-password\"></label>\
         <button type=\"submit\">{submit}</button></form><p class=\"faint\">{hint}</p></section>",
        q = if lang == Lang::En { "?lang=en" } else { "" },
        email_label = tr(lang, "邮箱", "Email"),
        email = esc(email),
        password_label = tr(lang, "密码", "Password"),
        submit = tr(lang, "登录", "Sign in"),
        hint = tr(lang, "账号由团队负责人在团队服务器上添加。", "Your team's owner adds your account on the team server."),
    );
    body
}

async fn sign_in_page(Query(query): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = lang(&query, &headers);
    page(lang, tr(lang, "登录", "Sign in"), &sign_in_form(lang, None, ""))
}

#[derive(Deserialize)]
struct SignInForm {
    email: String,
    password: String,
}

async fn sign_in(State(state): State<AppState>, Query(query): Query<LangQuery>, headers: HeaderMap, Form(form): Form<SignInForm>) -> Response {
    let lang = lang(&query, &headers);
    if same_origin(&headers).is_err() {
        return StatusCode::FORBIDDEN.into_response();
    }
    match open_session(&state, &form.email, &form.password).await {
        Ok((token, _)) => {
            let target = if lang == Lang::En { "/team?lang=en" } else { "/team" };
            let mut response = Redirect::to(target).into_response();
            response.headers_mut().insert(header::SET_COOKIE, cookie(&state, &token, 30 * 24 * 3600));
            response
        }
        Err(err) => {
            let problem = if err.code == "wrong-credentials" { tr(lang, "邮箱或密码不对（连续输错十次要等五分钟）", "The email or the password is wrong (ten wrong tries lock the account for five minutes)") } else { tr(lang, "服务器暂时无法登录，请稍后再试", "The server cannot sign you in right now; try again") };
            let mut response = page(lang, tr(lang, "登录", "Sign in"), &sign_in_form(lang, Some(problem), &form.email));
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            response
        }
    }
}

/// The signed-in member, or the sign-in page to go to.
async fn signed_in(state: &AppState, headers: &HeaderMap, path: &str, lang: Lang) -> Result<Caller, Response> {
    let to_sign_in = || Redirect::to(if lang == Lang::En { "/sign-in?lang=en" } else { "/sign-in" }).into_response();
    let token = session_token(headers).ok_or_else(to_sign_in)?;
    caller_for_token(state, &token, path).await.map_err(|err| if err.status == StatusCode::UNAUTHORIZED { to_sign_in() } else { err.into_response() })
}

fn fen(value: &Value) -> String {
    value.as_i64().map(|f| format!("¥{}.{:02}", f / 100, (f % 100).abs())).unwrap_or_default()
}

/// A published report (复盘): its figures, products and the viewer curve as an inline SVG
/// line (no script, nothing fetched).
fn report_summary(lang: Lang, report: &Value) -> String {
    let n = |v: &Value| v.as_i64().unwrap_or_default();
    let audience = &report["audience"];
    let mut html = String::new();
    let _ = write!(
        html,
        "<div class=\"report\"><h4>{title}{rehearsal}</h4><p>{length} {minutes} / {planned} {minutes} · {orders} {orders_word} {gmv} · {peak_word} {peak} · {flags_word} {flags}{open}</p>",
        title = tr(lang, "复盘", "Review"),
        rehearsal = if report["rehearsal"] == true { tr(lang, "（彩排）", " (rehearsal)") } else { "" },
        length = n(&report["durationSeconds"]) / 60,
        planned = n(&report["plannedMinutes"]),
        minutes = tr(lang, "分钟", "min"),
        orders = n(&audience["orders"]),
        orders_word = tr(lang, "单", "orders"),
        gmv = fen(&audience["gmv"]),
        peak_word = tr(lang, "峰值在线", "peak viewers"),
        peak = n(&audience["peakViewers"]),
        flags_word = tr(lang, "违规提示", "claims flagged"),
        flags = n(&report["complianceErrors"]),
        open = match n(&report["complianceUnresolved"]) {
            0 => String::new(),
            open => format!("{}{open}{}", tr(lang, "（未处理 ", " ("), tr(lang, "）", " not dealt with)")),
        },
    );
    let curve: Vec<(i64, i64)> = report["viewerCurve"].as_array().into_iter().flatten().filter_map(|p| Some((p.get(0)?.as_i64()?, p.get(1)?.as_i64()?))).collect();
    if curve.len() >= 2 {
        html.push_str(&anchordesk_text::line_svg(&curve, 300, 48, tr(lang, "在线人数曲线", "viewers online over the broadcast")));
    }
    html.push_str("<table class=\"products\"><tbody>");
    for product in report["products"].as_array().into_iter().flatten() {
        let _ = write!(
            html,
            "<tr><td>{name}</td><td class=\"num\">{on} / {planned} {min}</td><td class=\"num\">{orders} {orders_word}</td><td class=\"num\">{gmv}</td></tr>",
            name = esc(product["name"].as_str().unwrap_or_default()),
            on = n(&product["actualSeconds"]) / 60,
            planned = n(&product["plannedMinutes"]),
            min = tr(lang, "分钟", "min"),
            orders = n(&product["orders"]),
            orders_word = tr(lang, "单", "orders"),
            gmv = fen(&product["gmv"]),
        );
    }
    html.push_str("</tbody></table></div>");
    html
}

/// A published broadcast's checklist: how many of the items a person ticks are ticked, and
/// each item with who ticked it and when (the automatic checks say so).
fn checklist_summary(lang: Lang, checklist: &Value) -> String {
    let Some(items) = checklist.as_array().filter(|items| !items.is_empty()) else { return String::new() };
    let manual: Vec<&Value> = items.iter().filter(|item| item["auto"] != true).collect();
    let ticked = manual.iter().filter(|item| item["doneBy"].is_string()).count();
    let mut out = format!(
        "<details class=\"checklist\"><summary>{} · {} {ticked}/{}</summary><ul>",
        tr(lang, "场控清单", "Checklist"),
        tr(lang, "已勾选", "ticked"),
        manual.len()
    );
    for item in items {
        let title = if lang == Lang::En { &item["titleEn"] } else { &item["title"] };
        let critical = if item["critical"] == true { " critical" } else { "" };
        let (class, mark, who) = match item["doneBy"].as_str() {
            _ if item["auto"] == true => ("auto", "⚙", tr(lang, "自动检查", "checked automatically").to_owned()),
            Some(by) => ("done", "✓", format!("{} · {}", esc(by), esc(&item["doneAt"].as_str().unwrap_or_default().chars().take(16).collect::<String>().replace('T', " ")))),
            None => ("open", "○", tr(lang, "未勾选", "not ticked").to_owned()),
        };
        let _ = write!(out, "<li class=\"{class}{critical}\">{mark} {} <span class=\"faint\">{who}</span></li>", esc(title.as_str().unwrap_or_default()));
    }
    out.push_str("</ul></details>");
    out
}

/// One archived session of a broadcast as the desk indexed it: where, until when, and each
/// file's size and SHA-256 (to check a copy against; the files stay on the desk).
fn archive_summary(lang: Lang, entry: &Value) -> String {
    let files: Vec<&Value> = entry["files"].as_array().into_iter().flatten().collect();
    let bytes: u64 = files.iter().filter_map(|f| f["bytes"].as_u64()).sum();
    let mut html = String::new();
    let _ = write!(
        html,
        "<details class=\"archive\" data-archive=\"{name}\"><summary>{title} {until_word} {until} · {n} {files_word} · {size}</summary><table><tbody>",
        name = esc(entry["name"].as_str().unwrap_or_default()),
        title = tr(lang, "存档", "Archived"),
        until_word = tr(lang, "保留至", "and kept until"),
        until = esc(entry["keepUntil"].as_str().unwrap_or_default()),
        n = files.len(),
        files_word = tr(lang, "个文件", "files"),
        size = human_size(bytes),
    );
    for file in files {
        let _ = write!(
            html,
            "<tr><td>{name}</td><td class=\"num\">{size}</td><td><code title=\"SHA-256\">{sha}</code></td></tr>",
            name = esc(file["name"].as_str().unwrap_or_default()),
            size = human_size(file["bytes"].as_u64().unwrap_or_default()),
            sha = esc(file["sha256"].as_str().unwrap_or_default()),
        );
    }
    html.push_str("</tbody></table></details>");
    html
}

/// A size as people read it: KB below a megabyte, MB below a gigabyte, then GB.
fn human_size(bytes: u64) -> String {
    match bytes {
        0..1_000_000 => format!("{:.1} KB", bytes as f64 / 1_000.0),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1_000_000.0),
        _ => format!("{:.2} GB", bytes as f64 / 1_000_000_000.0),
    }
}

async fn team_page(State(state): State<AppState>, Query(query): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = lang(&query, &headers);
    let caller = match signed_in(&state, &headers, "/team", lang).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    match render_team(&state, &caller, lang).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn render_team(state: &AppState, caller: &Caller, lang: Lang) -> ApiResult<Response> {
    let client = state.pool.get().await?;
    let me = client
        .query_one("SELECT m.email, m.role, o.name, m.must_change_password FROM member m JOIN org o ON o.id = m.org_id WHERE m.id = $1", &[&caller.member_id])
        .await?;
    let (email, role, org_name, must_change): (String, String, String, bool) = (me.get(0), me.get(1), me.get(2), me.get(3));
    let q = if lang == Lang::En { "?lang=en" } else { "" };
    let mut body = format!(
        "<section class=\"bar\"><h1>{org}</h1><span class=\"faint\">{email} · {role}</span><form method=\"post\" action=\"/sign-out{q}\"><button class=\"quiet\">{out}</button></form></section>",
        org = esc(&org_name),
        email = esc(&email),
        role = esc(role_name(lang, &role)),
        out = tr(lang, "退出", "Sign out"),
    );
    if must_change {
        let _ = write!(
            body,
            "<section class=\"card narrow\"><h2>{title}</h2><p>{why}</p><form method=\"post\" action=\"/password{q}\">\
             <label>{current}<input type=\"password\" name=\"current\" required autocomplete=\"current-password\"></label>\
             <label>{new}<input type=\"password\" name=\"new\" required minlength=\"10\" autocomplete=\"new-password\"></label>\
             <button type=\"submit\">{save}</button></form></section>",
            title = tr(lang, "设置自己的密码", "Choose your own password"),
            why = tr(lang, "你用的是一次性密码：设置自己的密码（至少 10 个字符）后才能查看团队资料。", "You signed in with a one-time password: choose your own (at least 10 characters) to see the team's data."),
            current = tr(lang, "一次性密码", "One-time password"),
            new = tr(lang, "新密码", "New password"),
            save = tr(lang, "保存", "Save"),
        );
        return Ok(page(lang, &org_name, &body));
    }

    let planned = broadcasts(state, caller.org_id).await?;
    let _ = write!(body, "<section class=\"card\"><h2>{} <span class=\"count\">{}</span></h2>", tr(lang, "直播安排", "Broadcasts"), planned.len());
    if planned.is_empty() {
        let _ = write!(body, "<p class=\"faint\">{}</p>", tr(lang, "还没有工作台发布直播安排。工作台同步时会把自己的场次（排品和流程）发到这里。", "No desk has published a broadcast yet. A desk's sync publishes its broadcasts (line-up and run-of-show) here."));
    }
    // Grouped by room or class (in the order of their names), then those published without one.
    let room_of = |entry: &Value| entry["body"]["room"]["name"].as_str().map(str::to_owned);
    let mut planned = planned;
    let grouped = planned.iter().any(|entry| room_of(entry).is_some());
    if grouped {
        planned.sort_by_key(|entry| (room_of(entry).is_none(), room_of(entry)));
    }
    let mut heading: Option<Option<String>> = None;
    for entry in &planned {
        let room = room_of(entry);
        if grouped && heading.as_ref() != Some(&room) {
            let name = room.as_deref().map(esc).unwrap_or_else(|| tr(lang, "未指定直播间", "No room").to_owned());
            let _ = write!(body, "<h3 class=\"room\" data-room=\"{name}\">{name}</h3>");
            heading = Some(room);
        }
        let b = &entry["body"]["broadcast"];
        let show = &entry["body"]["runOfShow"];
        let lineup: Vec<String> = entry["body"]["lineup"].as_array().into_iter().flatten().map(|item| esc(item["productName"].as_str().unwrap_or_default())).collect();
        let sessions = entry["body"]["sessions"].as_array().cloned().unwrap_or_default();
        let (class, state) = match sessions.last() {
            Some(s) if s["status"] == "live" && s["rehearsal"] == true => ("live", tr(lang, "彩排中", "rehearsing")),
            Some(s) if s["status"] == "live" => ("live", tr(lang, "直播中", "on air")),
            Some(s) if s["status"] == "interrupted" => ("off", tr(lang, "中断", "interrupted")),
            Some(_) => ("off", tr(lang, "已播", "done")),
            None => ("plan", tr(lang, "未开播", "planned")),
        };
        let from_web = if entry["body"]["plan"].is_string() { format!(" <span class=\"tag\">{}</span>", tr(lang, "网页排期", "planned on the web")) } else { String::new() };
        let _ = write!(
            body,
            "<article class=\"broadcast\" data-key=\"{key}\"><h3><span class=\"state {class}\">{state}</span> {title}{from_web}</h3><p class=\"faint\">{start} · {by} · {n} {items} · {minutes} {min}</p><ol>",
            key = esc(entry["key"].as_str().unwrap_or_default()),
            title = esc(b["title"].as_str().unwrap_or_default()),
            start = esc(&b["plannedStart"].as_str().unwrap_or_default().replace('T', " ")),
            by = esc(entry["publishedBy"].as_str().unwrap_or_default()),
            n = lineup.len(),
            items = tr(lang, "件商品", "products"),
            minutes = show["plannedMinutes"].as_i64().unwrap_or_default(),
            min = tr(lang, "分钟", "min"),
        );
        for name in &lineup {
            let _ = write!(body, "<li>{name}</li>");
        }
        body.push_str("</ol>");
        body.push_str(&checklist_summary(lang, &entry["body"]["checklist"]));
        if let Some(report) = entry["body"].get("report").filter(|r| r.is_object()) {
            body.push_str(&report_summary(lang, report));
        }
        for archived in entry["body"]["archive"].as_array().into_iter().flatten() {
            body.push_str(&archive_summary(lang, archived));
        }
        body.push_str("</article>");
    }
    body.push_str("</section>");

    let products = client.query("SELECT sku, version, body FROM product WHERE org_id = $1 AND body IS NOT NULL ORDER BY sku", &[&caller.org_id]).await?;
    if crate::routes::ROOM_PLANNERS.contains(&caller.role.as_str()) {
        let waiting = crate::plan::waiting(state, caller.org_id).await?;
        let rooms = crate::routes::rooms(state, caller.org_id, None).await?;
        let templates = crate::plan::all_templates(state, caller.org_id).await?;
        plan_section(&mut body, lang, &waiting, &rooms, &templates, &products);
    }
    let _ = write!(body, "<section class=\"card\"><h2>{} <span class=\"count\">{}</span></h2>", tr(lang, "共享商品目录", "Shared catalog"), products.len());
    if products.is_empty() {
        let _ = write!(body, "<p class=\"faint\">{}</p>", tr(lang, "还没有商品。工作台加入团队并同步后，商品会出现在这里。", "No products yet. They appear here once a desk in the team syncs."));
    } else {
        let _ = write!(
            body,
            "<table><thead><tr><th>{}</th><th>SKU</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>",
            tr(lang, "商品", "Product"),
            tr(lang, "价格", "Price"),
            tr(lang, "库存", "Stock"),
            tr(lang, "版本", "Version"),
        );
        for row in &products {
            let (sku, version, product): (String, i64, Value) = (row.get(0), row.get(1), row.get(2));
            let _ = write!(
                body,
                "<tr data-sku=\"{sku}\"><td>{name}</td><td><code>{sku}</code></td><td class=\"num\">{price}</td><td class=\"num\">{stock}</td><td class=\"num\">v{version}</td></tr>",
                sku = esc(&sku),
                name = esc(product["name"].as_str().unwrap_or_default()),
                price = fen(&product["price"]),
                stock = product["stock"].as_i64().map(|s| s.to_string()).unwrap_or_default(),
            );
        }
        body.push_str("</tbody></table>");
    }
    body.push_str("</section>");

    let pack = client.query_opt("SELECT version, body FROM shared_doc WHERE org_id = $1 AND kind = 'rule-pack' AND key = 'team'", &[&caller.org_id]).await?;
    let _ = write!(body, "<section class=\"card\"><h2>{}</h2>", tr(lang, "团队规则包", "Team rule pack"));
    match pack.map(|row| (row.get::<_, i64>(0), row.get::<_, Option<Value>>(1).unwrap_or(Value::Null))) {
        Some((version, pack)) => {
            let words = pack["words"].as_array().cloned().unwrap_or_default();
            let disabled = pack["disabledRules"].as_array().cloned().unwrap_or_default();
            let _ = write!(body, "<p class=\"faint\">v{version} · {} {} · {} {}</p>", words.len(), tr(lang, "个团队词语", "team words"), disabled.len(), tr(lang, "条停用规则", "rules switched off"));
            body.push_str("<ul class=\"words\">");
            for word in &words {
                let _ = write!(body, "<li><b>{}</b> <span class=\"tag\">{}</span> {}</li>", esc(word["pattern"].as_str().unwrap_or_default()), esc(word["severity"].as_str().unwrap_or_default()), esc(word["message"].as_str().unwrap_or_default()));
            }
            for rule in &disabled {
                let _ = write!(body, "<li class=\"off\"><code>{}</code> {}</li>", esc(rule.as_str().unwrap_or_default()), tr(lang, "已停用", "switched off"));
            }
            body.push_str("</ul>");
        }
        None => {
            let _ = write!(body, "<p class=\"faint\">{}</p>", tr(lang, "还没有共享规则包：在工作台的“设置 → 规则”中添加词语，同步后全团队使用。", "No rule pack shared yet: add words in a desk's Settings → Rules; after a sync the whole team uses them."));
        }
    }
    body.push_str("</section>");

    let rooms = crate::routes::rooms(state, caller.org_id, Some(caller.member_id)).await?;
    if !rooms.is_empty() {
        let _ = write!(body, "<section class=\"card\"><h2>{} <span class=\"count\">{}</span></h2><ul class=\"rooms\">", tr(lang, "直播间与班级", "Rooms and classes"), rooms.len());
        for room in &rooms {
            let members: Vec<String> = room["members"].as_array().into_iter().flatten().map(|m| esc(m["email"].as_str().unwrap_or_default())).collect();
            let _ = write!(
                body,
                "<li data-room-id=\"{id}\"><b>{name}</b> <span class=\"tag\">{kind}</span>{mine} <span class=\"faint\">{members}</span></li>",
                id = room["id"],
                name = esc(room["name"].as_str().unwrap_or_default()),
                kind = if room["kind"] == "class" { tr(lang, "班级", "class") } else { tr(lang, "直播间", "live room") },
                mine = if room["mine"] == true { tr(lang, "（我在其中）", " (yours)") } else { "" },
                members = if members.is_empty() { tr(lang, "还没有成员", "no members yet").to_owned() } else { members.join("、") },
            );
        }
        body.push_str("</ul></section>");
    }

    // Each class's grades: everyone's latest attempt for its teacher and the owner, a
    // student's own for them; graded by the server from what the practice shop observed.
    let teaches = ["owner", "teacher"].contains(&caller.role.as_str());
    for room in rooms.iter().filter(|r| r["kind"] == "class" && (teaches || r["mine"] == true)) {
        let id = room["id"].as_i64().unwrap_or_default();
        let table = crate::course::class_table(state, id, (!teaches).then_some(caller.member_id)).await?;
        class_grades(&mut body, lang, room["name"].as_str().unwrap_or_default(), &table);
    }

    if caller.role == "owner" {
        let members = client.query("SELECT email, role, must_change_password FROM member WHERE org_id = $1 ORDER BY id", &[&caller.org_id]).await?;
        let _ = write!(body, "<section class=\"card\"><h2>{} <span class=\"count\">{}</span></h2><ul>", tr(lang, "成员", "Members"), members.len());
        for row in &members {
            let pending = if row.get::<_, bool>(2) { tr(lang, "（尚未设置密码）", " (password not chosen yet)") } else { "" };
            let _ = write!(body, "<li>{} · {}{}</li>", esc(&row.get::<_, String>(0)), esc(role_name(lang, &row.get::<_, String>(1))), pending);
        }
        body.push_str("</ul></section>");
        let audit = client
            .query(
                "SELECT coalesce(m.email, ''), a.action, a.target, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM audit a LEFT JOIN member m ON m.id = a.member_id WHERE a.org_id = $1 ORDER BY a.id DESC LIMIT 20",
                &[&caller.org_id],
            )
            .await?;
        let _ = write!(body, "<section class=\"card\"><h2>{}</h2><table><tbody>", tr(lang, "最近操作", "Recent activity"));
        for row in &audit {
            let _ = write!(body, "<tr><td class=\"faint\">{} UTC</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>", esc(&row.get::<_, String>(3)), esc(&row.get::<_, String>(0)), esc(&row.get::<_, String>(1)), esc(&row.get::<_, String>(2)));
        }
        body.push_str("</tbody></table></section>");
    }
    Ok(page(lang, &org_name, &body))
}

fn role_name(lang: Lang, role: &str) -> &'static str {
    match (role, lang) {
        ("owner", Lang::Zh) => "负责人",
        ("operator", Lang::Zh) => "运营",
        ("anchor", Lang::Zh) => "主播",
        ("controller", Lang::Zh) => "场控",
        ("assistant", Lang::Zh) => "助播",
        ("teacher", Lang::Zh) => "教师",
        ("student", Lang::Zh) => "学生",
        ("owner", Lang::En) => "owner",
        ("operator", Lang::En) => "operator",
        ("anchor", Lang::En) => "anchor",
        ("controller", Lang::En) => "field control",
        ("assistant", Lang::En) => "assistant",
        ("teacher", Lang::En) => "teacher",
        ("student", Lang::En) => "student",
        _ => "",
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new: String,
}

async fn choose_password(State(state): State<AppState>, Query(query): Query<LangQuery>, headers: HeaderMap, Form(form): Form<PasswordForm>) -> Response {
    let lang = lang(&query, &headers);
    if same_origin(&headers).is_err() {
        return StatusCode::FORBIDDEN.into_response();
    }
    let caller = match signed_in(&state, &headers, "/password", lang).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    match set_password(&state, &caller, &form.current, &form.new).await {
        Ok(()) => Redirect::to(if lang == Lang::En { "/team?lang=en" } else { "/team" }).into_response(),
        Err(err) => {
            let body = format!("<section class=\"card narrow\"><p class=\"error\" role=\"alert\">{}</p><p><a href=\"/team\">{}</a></p></section>", esc(&err.message), tr(lang, "返回", "Back"));
            let mut response = page(lang, tr(lang, "设置密码", "Choose a password"), &body);
            *response.status_mut() = err.status;
            response
        }
    }
}

async fn sign_out(State(state): State<AppState>, Query(query): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = lang(&query, &headers);
    if same_origin(&headers).is_err() {
        return StatusCode::FORBIDDEN.into_response();
    }
    if let Ok(caller) = signed_in(&state, &headers, "/sign-out", lang).await {
        let _ = end_session(&state, &caller).await;
    }
    let mut response = Redirect::to(if lang == Lang::En { "/sign-in?lang=en" } else { "/sign-in" }).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie(&state, "", 0));
    response
}

/// A class's table of grades (see [`crate::course::class_table`]).
fn class_grades(body: &mut String, lang: Lang, class: &str, table: &serde_json::Value) {
    let course = &table["course"];
    let scenario = if course.is_null() {
        tr(lang, "老师还没有设置演练场景", "the teacher has not set a scenario yet").to_owned()
    } else {
        esc(course[if lang == Lang::En { "scenarioTitleEn" } else { "scenarioTitle" }].as_str().unwrap_or_default())
    };
    let rows = table["attempts"].as_array().cloned().unwrap_or_default();
    let _ = write!(
        body,
        "<section class=\"card\" data-class=\"{name}\"><h2>{title} · {name} <span class=\"count\">{n}</span></h2><p class=\"faint\">{scenario} · {how}</p>",
        title = tr(lang, "班级成绩", "Class grades"),
        name = esc(class),
        n = rows.len(),
        how = tr(lang, "成绩由服务器按练习店记录的事实评出；与学生提交不符之处标红", "graded by the server from what the practice shop recorded; where the student's facts differ it is marked in red"),
    );
    if rows.is_empty() {
        let _ = write!(body, "<p class=\"faint\">{}</p></section>", tr(lang, "还没有人交演练。学生在工作台把平台设为班级练习店，演练结束后同步即交。", "No rehearsal handed in yet. A student sets the desk's platform to the class's practice shop; a sync after the rehearsal hands it in."));
        return;
    }
    let _ = write!(
        body,
        "<table class=\"grades\"><thead><tr><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        tr(lang, "学生", "Student"),
        tr(lang, "总分", "Total"),
        tr(lang, "次数", "Attempts"),
        tr(lang, "交于 (UTC)", "Handed in (UTC)"),
        tr(lang, "与练习店记录核对", "Against the shop's record"),
    );
    for row in &rows {
        let name = row["studentName"].as_str().map(|n| format!("{} · ", esc(n))).unwrap_or_default();
        let total = row["total"].as_f64().map_or_else(|| esc(row["problem"].as_str().unwrap_or("—")), |t| format!("{t:.1}"));
        let marks: Vec<String> = row["disagreements"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| format!("<li><code>{}</code> {} {} · {} {}</li>", esc(d["fact"].as_str().unwrap_or_default()), tr(lang, "提交", "said"), esc(d["submitted"].as_str().unwrap_or_default()), tr(lang, "记录", "recorded"), esc(d["observed"].as_str().unwrap_or_default())))
            .collect();
        let marks = if marks.is_empty() { format!("<span class=\"faint\">{}</span>", tr(lang, "一致", "agrees")) } else { format!("<ul class=\"critical\">{}</ul>", marks.join("")) };
        let _ = write!(
            body,
            "<tr><td>{name}{email}</td><td class=\"num\">{total}</td><td class=\"num\">{attempts}</td><td class=\"faint\">{at}</td><td>{marks}</td></tr>",
            email = esc(row["email"].as_str().unwrap_or_default()),
            attempts = row["attempts"],
            at = esc(row["submittedAt"].as_str().unwrap_or_default()),
        );
    }
    body.push_str("</tbody></table></section>");
}

/// The planner's card: the plans no desk has taken yet, and the form to plan one.
fn plan_section(body: &mut String, lang: Lang, waiting: &[Value], rooms: &[Value], templates: &[(String, String, String)], products: &[tokio_postgres::Row]) {
    let _ = write!(body, "<section class=\"card\" id=\"plans\"><h2>{} <span class=\"count\">{}</span></h2>", tr(lang, "安排一场直播", "Plan a broadcast"), waiting.len());
    let _ = write!(body, "<p class=\"faint\">{}</p>", tr(lang, "在这里排好的场次，由该直播间的工作台在下次同步时领取（按所选模板建好流程和清单），之后在工作台上开播。", "A broadcast planned here is taken by the room's desks at their next sync (made from the chosen template, with its run-of-show and checklist) and goes on air from a desk."));
    if !waiting.is_empty() {
        let _ = write!(body, "<h3>{}</h3><ul class=\"waiting\">", tr(lang, "等待工作台领取", "Waiting for a desk"));
        for plan in waiting {
            let b = &plan["body"];
            let _ = write!(
                body,
                "<li data-plan=\"{key}\"><b>{title}</b> <span class=\"faint\">{start} · {room} · {n} {items} · {by}</span> \
                 <form method=\"post\" action=\"/plan/withdraw{q}\" class=\"inline\"><input type=\"hidden\" name=\"key\" value=\"{key}\"><button class=\"quiet\">{withdraw}</button></form></li>",
                q = if lang == Lang::En { "?lang=en" } else { "" },
                withdraw = tr(lang, "撤回", "Withdraw"),
                key = esc(plan["key"].as_str().unwrap_or_default()),
                title = esc(b["title"].as_str().unwrap_or_default()),
                start = esc(&b["start"].as_str().unwrap_or_default().replace('T', " ")),
                room = b["room"]["name"].as_str().map(esc).unwrap_or_else(|| tr(lang, "所有工作台", "every desk").to_owned()),
                n = b["lineup"].as_array().map_or(0, Vec::len),
                items = tr(lang, "件商品", "products"),
                by = esc(b["plannedBy"].as_str().unwrap_or_default()),
            );
        }
        body.push_str("</ul>");
    }
    let builtin = crate::plan::templates().len();
    if templates.len() > builtin {
        let own: Vec<String> = templates[builtin..].iter().map(|(name, zh, en)| format!("<b>{}</b> <code>{}</code>", esc(if lang == Lang::En { en } else { zh }), esc(name))).collect();
        let _ = write!(body, "<p class=\"team-templates\">{}{}</p>", tr(lang, "团队模板：", "Team templates: "), own.join(tr(lang, "、", ", ")));
    }
    if products.is_empty() {
        let _ = write!(body, "<p class=\"faint\">{}</p></section>", tr(lang, "共享商品目录还是空的：先由工作台同步商品，才能排品。", "The shared catalog is empty: a desk syncs products first, then they can be lined up."));
        return;
    }
    let q = if lang == Lang::En { "?lang=en" } else { "" };
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/plan{q}\" class=\"plan\"><label>{title_label}<input name=\"title\" required maxlength=\"80\"></label>\
         <label>{start_label}<input name=\"start\" type=\"datetime-local\" required></label><label>{room_label}<select name=\"room\">",
        title_label = tr(lang, "标题", "Title"),
        start_label = tr(lang, "开播时间", "Starts"),
        room_label = tr(lang, "直播间", "Room"),
    );
    if rooms.is_empty() {
        let _ = write!(body, "<option value=\"\">{}</option>", tr(lang, "所有工作台", "every desk"));
    }
    for room in rooms {
        let _ = write!(body, "<option value=\"{}\">{}</option>", room["id"], esc(room["name"].as_str().unwrap_or_default()));
    }
    let _ = write!(body, "</select></label><label>{}<select name=\"template\"><option value=\"\">{}</option>", tr(lang, "模板", "Template"), tr(lang, "不用模板", "none"));
    for (name, zh, en) in templates {
        let _ = write!(body, "<option value=\"{}\">{}</option>", esc(name), esc(if lang == Lang::En { en } else { zh }));
    }
    let _ = write!(
        body,
        "</select></label><label class=\"wide\">{contact}<input name=\"contact\" maxlength=\"80\" placeholder=\"{example}\"></label>\
         <table><thead><tr><th></th><th>{lineup}</th><th class=\"num\">{price}</th><th class=\"num\">{live}</th></tr></thead><tbody>",
        contact = tr(lang, "售后联系方式", "After-sales contact"),
        example = tr(lang, "例如 客服电话 0797-1234567", "e.g. the service phone"),
        lineup = tr(lang, "排品", "Line-up"),
        price = tr(lang, "日常价", "Price"),
        live = tr(lang, "直播价（元，可不填）", "Live price (yuan, optional)"),
    );
    for row in products {
        let (sku, product): (String, Value) = (row.get(0), row.get(2));
        let _ = write!(
            body,
            "<tr><td><input type=\"checkbox\" name=\"sku\" value=\"{sku}\" id=\"plan-{sku}\"></td><td><label for=\"plan-{sku}\">{name}</label> <code>{sku}</code></td><td class=\"num\">{price}</td><td class=\"num\"><input name=\"price:{sku}\" inputmode=\"decimal\" size=\"8\"></td></tr>",
            sku = esc(&sku),
            name = esc(product["name"].as_str().unwrap_or_default()),
            price = fen(&product["price"]),
        );
    }
    let _ = write!(body, "</tbody></table><button type=\"submit\">{}</button></form></section>", tr(lang, "排期", "Plan it"));
}

/// Yuan as typed (`49.9`, `49.90`, `¥49`) in fen; `None` for anything else.
fn parse_yuan(text: &str) -> Option<i64> {
    let text = text.trim().trim_start_matches(['¥', '￥']).trim();
    let (whole, cents) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || cents.len() > 2 || !cents.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cents = format!("{cents:0<2}");
    whole.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents.parse::<i64>().ok()?)
}

async fn plan(State(state): State<AppState>, Query(query): Query<LangQuery>, headers: HeaderMap, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let lang = lang(&query, &headers);
    if same_origin(&headers).is_err() {
        return StatusCode::FORBIDDEN.into_response();
    }
    let caller = match signed_in(&state, &headers, "/plan", lang).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let mut problem = None;
    let lineup: Vec<(String, Option<i64>)> = fields
        .iter()
        .filter(|(k, _)| k == "sku")
        .map(|(_, sku)| {
            let typed = field(&format!("price:{sku}"));
            let price = if typed.trim().is_empty() { None } else { parse_yuan(&typed) };
            if !typed.trim().is_empty() && price.is_none() {
                problem = Some(format!("{sku}: {typed:?} {}", tr(lang, "不是价格（例如 49.90）", "is not a price (e.g. 49.90)")));
            }
            (sku.clone(), price)
        })
        .collect();
    let input = crate::plan::PlanInput { title: field("title"), start: field("start"), room: field("room").trim().parse().ok(), template: field("template"), contact: field("contact"), lineup };
    let result = match problem {
        Some(problem) => Err(crate::routes::ApiError::invalid(problem)),
        None => crate::plan::plan_broadcast(&state, &caller, input).await,
    };
    match result {
        Ok(_) => Redirect::to(if lang == Lang::En { "/team?lang=en#plans" } else { "/team#plans" }).into_response(),
        Err(err) => {
            let body = format!("<section class=\"card narrow\"><p class=\"error\" role=\"alert\">{}</p><p><a href=\"/team{}#plans\">{}</a></p></section>", esc(&err.message), if lang == Lang::En { "?lang=en" } else { "" }, tr(lang, "返回修改", "Back to the form"));
            let mut response = page(lang, tr(lang, "安排一场直播", "Plan a broadcast"), &body);
            *response.status_mut() = err.status;
            response
        }
    }
}

#[derive(Deserialize)]
struct WithdrawForm {
    key: String,
}

async fn withdraw_plan(State(state): State<AppState>, Query(query): Query<LangQuery>, headers: HeaderMap, Form(form): Form<WithdrawForm>) -> Response {
    let lang = lang(&query, &headers);
    if same_origin(&headers).is_err() {
        return StatusCode::FORBIDDEN.into_response();
    }
    let caller = match signed_in(&state, &headers, "/plan/withdraw", lang).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    match crate::plan::withdraw(&state, &caller, &form.key).await {
        Ok(_) => Redirect::to(if lang == Lang::En { "/team?lang=en#plans" } else { "/team#plans" }).into_response(),
        Err(err) => {
            let body = format!("<section class=\"card narrow\"><p class=\"error\" role=\"alert\">{}</p><p><a href=\"/team{}#plans\">{}</a></p></section>", esc(&err.message), if lang == Lang::En { "?lang=en" } else { "" }, tr(lang, "返回", "Back"));
            let mut response = page(lang, tr(lang, "安排一场直播", "Plan a broadcast"), &body);
            *response.status_mut() = err.status;
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_yuan;

    #[test]
    fn yuan_as_typed_become_fen() {
        assert_eq!(parse_yuan("49.90"), Some(4990));
        assert_eq!(parse_yuan("49.9"), Some(4990));
        assert_eq!(parse_yuan(" ¥49 "), Some(4900));
        assert_eq!(parse_yuan("0.05"), Some(5));
        for bad in ["", "abc", "49.999", "-3", "4 9", ".5"] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
    }
}
