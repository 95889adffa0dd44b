//! The practice shop's scenarios (issue #9), the desk's replies to comments and the
//! audience timeline (issue #8), against a real sandbox.

mod common;

use anchordesk_platform::sync::Command;
use anchordesk_platform::*;
use anchordesk_sandbox::{DEMO_CLIENT_SECRET, Sandbox};
use common::{expect_problem, now_s, setup_live_broadcast, signed};
use futures_util::StreamExt;
use reqwest::Method;
use std::time::Duration;

fn comment(id: &str, after_ms: i64, user: &str, text: &str) -> ScriptedEvent {
    ScriptedEvent { id: id.into(), after_ms, kind: ScriptedKind::Comment { user: user.into(), text: text.into() } }
}

fn stock_out(id: &str, after_ms: i64, sku: &str) -> ScriptedEvent {
    ScriptedEvent { id: id.into(), after_ms, kind: ScriptedKind::StockOut { sku: sku.into() } }
}

async fn tick(base: &str, ticks: i32) {
    let response = reqwest::Client::new().post(format!("{base}/admin/broadcasts/b1/tick")).header(anchordesk_sandbox::ADMIN_TOKEN_HEADER, common::ADMIN).json(&TickRequest { ticks }).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn all_events(platform: &ContractClient, broadcast_id: &str) -> Vec<LiveEvent> {
    pull::events(platform, broadcast_id, 0, 100_000).await.unwrap().0
}

/// The events a scenario event wrote: its comment or its stock-out.
fn scripted<'a>(events: &'a [LiveEvent], id: &str) -> Vec<&'a LiveEvent> {
    events
        .iter()
        .filter(|event| match &event.event {
            LiveEventKind::Comment { scripted, .. } | LiveEventKind::Stock { scripted, .. } => scripted.as_deref() == Some(id),
            _ => false,
        })
        .collect()
}

fn units_of(orders: &[Order], sku: &str) -> i64 {
    orders.iter().filter(|order| order.sku == sku).map(|order| order.quantity as i64).sum()
}

#[tokio::test]
async fn scripted_events_fire_once_in_order_when_due_and_never_again_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::test_config(dir.path());
    let first = Sandbox::start(config.clone()).await.unwrap();
    let platform = common::platform(&first.base_url());
    setup_live_broadcast(&platform).await;
    let started_at_ms = platform.broadcast("b1").await.unwrap().started_at_ms.unwrap();
    let mut stream = platform.event_stream("b1", 0).await.unwrap();
    let script = BroadcastScript {
        events: vec![
            stock_out("oos", 400, "GN-1"),
            comment("q-organic", 200, "小鹿", "这橙子是有机的吗?"),
            comment("later", 3_600_000, "阿梅", "我才十五岁，可以买吗"),
        ],
    };
    let set = platform.set_script("script-1", "b1", &script).await.unwrap();
    let order: Vec<&str> = set.events.iter().map(|event| event.id.as_str()).collect();
    assert_eq!(order, ["q-organic", "oos", "later"], "the script lists events in firing order");
    assert_eq!(set.started_at_ms, Some(started_at_ms));

    // No audience ticks and no reads of the log: the script clock alone fires them, and a
    // listener hears both.
    let mut heard = Vec::new();
    while heard.len() < 2 {
        let event = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("scripted events arrive").unwrap().unwrap();
        if matches!(&event.event, LiveEventKind::Comment { scripted: Some(_), .. } | LiveEventKind::Stock { .. }) {
            heard.push(event);
        }
    }
    assert_eq!(
        heard[0].event,
        LiveEventKind::Comment { user: "小鹿".into(), text: "这橙子是有机的吗?".into(), scripted: Some("q-organic".into()) }
    );
    assert_eq!(heard[1].event, LiveEventKind::Stock { sku: "GN-1".into(), available: 0, scripted: Some("oos".into()) });
    assert!(heard[0].seq < heard[1].seq);
    assert!(heard[0].at_ms - started_at_ms >= 200, "fired {} ms after going live", heard[0].at_ms - started_at_ms);
    assert!(heard[1].at_ms - started_at_ms >= 400, "fired {} ms after going live", heard[1].at_ms - started_at_ms);
    drop(stream);

    let events = all_events(&platform, "b1").await;
    assert_eq!(scripted(&events, "q-organic"), [&heard[0]]);
    assert_eq!(scripted(&events, "oos"), [&heard[1]]);
    assert!(scripted(&events, "later").is_empty());
    // The grader reads the platform's own times.
    let state = platform.script("b1").await.unwrap();
    let fired: Vec<(Option<i64>, Option<i64>)> = state.events.iter().map(|event| (event.fired_at_ms, event.fired_seq)).collect();
    assert_eq!(fired, [(Some(heard[0].at_ms), Some(heard[0].seq)), (Some(heard[1].at_ms), Some(heard[1].seq)), (None, None)]);
    let product: Product = platform.client().get("/v1/products/GN-1").await.unwrap();
    assert_eq!((product.stock, product.available), (0, 0));
    assert_eq!(platform.bag("b1").await.unwrap().items[0].available, 0);

    // The desk replaces the script mid-broadcast: a fired id stays fired (with what it
    // fired), the rest is new. Then the sandbox stops before the new event is due.
    let elapsed = now_ms() - started_at_ms;
    let replacement = BroadcastScript {
        events: vec![
            comment("q-organic", 0, "小鹿", "改过的文字"),
            comment("complaint", elapsed + 1_000, "老王家", "上周买的橙子十天还没到，怎么回事"),
        ],
    };
    let replaced = platform.set_script("script-2", "b1", &replacement).await.unwrap();
    assert_eq!(replaced.events[0].fired_seq, Some(heard[0].seq));
    assert_eq!(replaced.events[0].kind, ScriptedKind::Comment { user: "小鹿".into(), text: "这橙子是有机的吗?".into() });
    assert_eq!(replaced.events[1].fired_at_ms, None);
    let addr = first.addr();
    first.shutdown().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_300)).await;

    config.addr = addr;
    let second = Sandbox::start(config).await.unwrap();
    // What fell due while the sandbox was down fires once at the restart; nothing fires twice.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while platform.script("b1").await.unwrap().events[1].fired_at_ms.is_none() {
        assert!(std::time::Instant::now() < deadline, "the complaint did not fire after the restart");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tick(&second.base_url(), 5).await;
    let events = all_events(&platform, "b1").await;
    for (id, times) in [("q-organic", 1), ("oos", 1), ("complaint", 1), ("later", 0)] {
        assert_eq!(scripted(&events, id).len(), times, "{id}");
    }
    let after_restart = platform.script("b1").await.unwrap();
    assert_eq!(after_restart.events[0].fired_at_ms, Some(heard[0].at_ms));
    // The old stock-out left the script but stays in force.
    assert!(after_restart.events.iter().all(|event| event.id != "oos"));
    assert_eq!(platform.bag("b1").await.unwrap().items[0].available, 0);
    second.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_replayed_script_returns_the_first_answer_and_refires_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let platform = common::platform(&base);
    setup_live_broadcast(&platform).await;
    let script = BroadcastScript { events: vec![comment("pay", 0, "阿强", "加我微信私下转账更便宜吧")] };
    let body = serde_json::to_vec(&script).unwrap();
    let client = common::raw_client(&base);
    let first = client.call(Method::PUT, "/v1/broadcasts/b1/script", Some(body.clone()), Some("script-key")).await.unwrap();
    // Reading the log fires what is due.
    let events = all_events(&platform, "b1").await;
    assert_eq!(scripted(&events, "pay").len(), 1);
    let again = client.call(Method::PUT, "/v1/broadcasts/b1/script", Some(body), Some("script-key")).await.unwrap();
    assert!(again.replayed && !first.replayed);
    assert_eq!(again.body, first.body);
    tick(&base, 3).await;
    assert_eq!(scripted(&all_events(&platform, "b1").await, "pay").len(), 1);
    let state = platform.script("b1").await.unwrap();
    assert!(state.events[0].fired_at_ms.is_some(), "the replay did not reset what fired");
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_script_waits_for_the_broadcast_to_go_live_and_counts_from_then() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let platform = common::platform(&sandbox.base_url());
    platform.upsert_product("p", "GN-1", &common::product("赣南脐橙 5kg", 5990, 100)).await.unwrap();
    let broadcast = BroadcastCreate { id: "b1".into(), title: "课堂演练".into(), anchor_id: None, products: vec!["GN-1".into()], scheduled_start_ms: None };
    platform.create_broadcast("b", &broadcast).await.unwrap();
    let script = BroadcastScript { events: vec![comment("minor", 150, "豆豆", "我今年14岁，能用妈妈的账号买吗")] };
    platform.set_script("s", "b1", &script).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(all_events(&platform, "b1").await.is_empty(), "nothing fires before going live");
    let started_at_ms = platform.start_broadcast("go", "b1").await.unwrap().broadcast.started_at_ms.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let state = platform.script("b1").await.unwrap();
    let fired_at_ms = state.events[0].fired_at_ms.expect("fired once live");
    assert!(fired_at_ms - started_at_ms >= 150, "{}", fired_at_ms - started_at_ms);
    // After the end the script is closed.
    platform.end_broadcast("end", "b1").await.unwrap();
    match platform.set_script("s2", "b1", &script).await {
        Err(PlatformError::Problem { problem, .. }) => assert_eq!(problem.code, ProblemCode::InvalidState),
        other => panic!("expected invalid-state, got {other:?}"),
    }
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_scripts_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let platform = common::platform(&base);
    setup_live_broadcast(&platform).await;
    let token = platform.client().token().await.unwrap();
    let long = "很".repeat(COMMENT_MAX_CHARS + 1);
    // body, status, code, what the detail must mention
    let cases: Vec<(BroadcastScript, u16, ProblemCode, &str)> = vec![
        (BroadcastScript { events: vec![comment("a", 0, "x", "1"), comment("a", 5, "y", "2")] }, 422, ProblemCode::Validation, "\"a\""),
        (BroadcastScript { events: vec![comment("a", -1, "x", "1")] }, 422, ProblemCode::Validation, "after_ms -1"),
        (BroadcastScript { events: vec![comment("a", 0, "x", &long)] }, 422, ProblemCode::Validation, "201 characters"),
        (BroadcastScript { events: vec![comment("a", 0, " ", "hi")] }, 422, ProblemCode::Validation, "user"),
        (BroadcastScript { events: vec![stock_out("a", 0, "NOPE")] }, 422, ProblemCode::Validation, "NOPE"),
        (BroadcastScript { events: vec![comment("", 0, "x", "1")] }, 422, ProblemCode::Validation, "1-64 bytes"),
    ];
    for (idx, (script, status, code, mention)) in cases.into_iter().enumerate() {
        let body = serde_json::to_vec(&script).unwrap();
        let response = signed(&base, &token, "PUT", "/v1/broadcasts/b1/script", &body, now_s(), Some(&format!("bad-{idx}")), DEMO_CLIENT_SECRET).await;
        let problem = expect_problem(response, status, code).await;
        assert!(problem.detail.contains(mention), "case {idx}: {:?} should mention {mention}", problem.detail);
    }
    let body = serde_json::to_vec(&BroadcastScript { events: vec![] }).unwrap();
    let response = signed(&base, &token, "PUT", "/v1/broadcasts/none/script", &body, now_s(), Some("none"), DEMO_CLIENT_SECRET).await;
    expect_problem(response, 404, ProblemCode::NotFound).await;
    let response = signed(&base, &token, "PUT", "/v1/broadcasts/b1/script", &body, now_s(), None, DEMO_CLIENT_SECRET).await;
    expect_problem(response, 400, ProblemCode::MissingIdempotencyKey).await;
    // Nothing was stored by the refused scripts.
    assert!(platform.script("b1").await.unwrap().events.is_empty());
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn after_a_stock_out_the_audience_never_buys_that_product_again_in_the_broadcast() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::test_config(dir.path());
    config.seed = 9;
    let sandbox = Sandbox::start(config).await.unwrap();
    let base = sandbox.base_url();
    let platform = common::platform(&base);
    setup_live_broadcast(&platform).await;
    platform.upsert_product("rice", "RICE", &common::product("五常大米 5kg", 8990, 10_000)).await.unwrap();
    platform.set_lineup("lineup", "b1", &["GN-1".to_owned(), "RICE".to_owned()]).await.unwrap();
    platform.list_in_bag("bag-rice", "b1", "RICE", 5990).await.unwrap();
    platform.pin("pin-orange", "b1", Some("GN-1")).await.unwrap();
    tick(&base, 40).await;
    let before = platform.orders("b1", 0, 10_000).await.unwrap().items;
    let oranges_sold = units_of(&before, "GN-1");
    assert!(oranges_sold > 0 && oranges_sold < 100, "the pinned oranges sell before the stock-out: {oranges_sold}");

    platform.set_script("script", "b1", &BroadcastScript { events: vec![stock_out("oos", 0, "GN-1")] }).await.unwrap();
    // The next tick fires it before its audience shops.
    tick(&base, 1).await;
    assert_eq!(scripted(&all_events(&platform, "b1").await, "oos").len(), 1);
    let at_stock_out = units_of(&platform.orders("b1", 0, 10_000).await.unwrap().items, "GN-1");
    // The anchor keeps presenting the oranges for a while, then moves on to the rice.
    tick(&base, 150).await;
    platform.pin("pin-rice", "b1", Some("RICE")).await.unwrap();
    tick(&base, 100).await;
    // The desk allocates more oranges; the scenario's stock-out still holds.
    let restocked = platform.set_stock("restock", "GN-1", 500).await.unwrap();
    assert_eq!(restocked.available, 500 - restocked.sold);
    platform.pin("pin-orange-again", "b1", Some("GN-1")).await.unwrap();
    tick(&base, 150).await;

    let orders = platform.orders("b1", 0, 10_000).await.unwrap().items;
    assert_eq!(units_of(&orders, "GN-1"), at_stock_out, "no orange was ordered after the stock-out");
    assert!(units_of(&orders, "RICE") > units_of(&before, "RICE"), "the audience still buys the rice");
    assert!(at_stock_out <= 100, "never more oranges than the 100 in stock");
    assert_eq!(platform.bag("b1").await.unwrap().items.iter().find(|item| item.sku == "GN-1").unwrap().available, 0);
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn orders_that_take_the_last_units_write_one_stock_event() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let platform = common::platform(&base);
    setup_live_broadcast(&platform).await;
    platform.set_stock("five-left", "GN-1", 5).await.unwrap();
    platform.pin("pin", "b1", Some("GN-1")).await.unwrap();
    tick(&base, 200).await;
    let product: Product = platform.client().get("/v1/products/GN-1").await.unwrap();
    assert_eq!((product.sold, product.available), (5, 0), "the audience buys every unit and no more");
    let events = all_events(&platform, "b1").await;
    let stock: Vec<&LiveEvent> = events.iter().filter(|event| matches!(event.event, LiveEventKind::Stock { .. })).collect();
    assert_eq!(stock.len(), 1, "{stock:?}");
    assert_eq!(stock[0].event, LiveEventKind::Stock { sku: "GN-1".into(), available: 0, scripted: None });
    let last_order = events.iter().filter(|event| matches!(event.event, LiveEventKind::Order { .. })).last().unwrap();
    assert_eq!(stock[0].seq, last_order.seq + 1, "the stock event follows the order that sold out");
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn replies_answer_real_comments_show_on_the_shop_page_and_refuse_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let platform = common::platform(&base);
    setup_live_broadcast(&platform).await;
    let script = BroadcastScript { events: vec![comment("pay", 0, "阿强<script>", "能直接<b>支付宝</b>转给你吗")] };
    platform.set_script("script", "b1", &script).await.unwrap();
    tick(&base, 20).await;
    let events = all_events(&platform, "b1").await;
    let asked = scripted(&events, "pay")[0].seq;
    let audience_comment = events
        .iter()
        .find(|event| matches!(&event.event, LiveEventKind::Comment { scripted: None, .. }))
        .expect("the audience commented")
        .seq;

    let answer = ReplyCreate { comment_seq: asked, text: "为了您的资金安全，请<务必>在平台内下单".into() };
    let reply = platform.reply("reply-1", "b1", &answer).await.unwrap();
    assert_eq!((reply.comment_seq, reply.text.as_str(), reply.broadcast_id.as_str()), (asked, answer.text.as_str(), "b1"));
    let events = all_events(&platform, "b1").await;
    let written = events.iter().find(|event| event.seq == reply.seq).unwrap();
    assert_eq!(written.event, LiveEventKind::Reply { comment_seq: asked, text: answer.text.clone() });
    assert_eq!(written.at_ms, reply.created_at_ms);
    // The desk's outbox sends replies as commands.
    let command = Command::Reply { broadcast_id: "b1".into(), reply: ReplyCreate { comment_seq: audience_comment, text: "今天下单，明天发货".into() } };
    platform.apply("outbox-7", &command).await.unwrap();

    // A replay returns the first answer and writes nothing more.
    let client = common::raw_client(&base);
    let body = serde_json::to_vec(&answer).unwrap();
    let again = client.call(Method::POST, "/v1/broadcasts/b1/replies", Some(body), Some("reply-1")).await.unwrap();
    assert!(again.replayed);
    assert_eq!(serde_json::from_slice::<Reply>(&again.body).unwrap(), reply);
    let replies = all_events(&platform, "b1").await.into_iter().filter(|event| matches!(event.event, LiveEventKind::Reply { .. })).count();
    assert_eq!(replies, 2);

    let token = client.token().await.unwrap();
    let path = "/v1/broadcasts/b1/replies";
    let status_seq = events[0].seq;
    let too_long = "好".repeat(REPLY_MAX_CHARS + 1);
    // comment seq, text, status, code, what the detail must mention
    let cases: Vec<(i64, &str, u16, ProblemCode, String)> = vec![
        (999_999, "在的", 404, ProblemCode::NotFound, "comment 999999".into()),
        (status_seq, "在的", 404, ProblemCode::NotFound, format!("comment {status_seq}")),
        (asked, "   ", 422, ProblemCode::Validation, "1-200".into()),
        (asked, &too_long, 422, ProblemCode::Validation, "201 characters".into()),
    ];
    for (idx, (comment_seq, text, status, code, mention)) in cases.into_iter().enumerate() {
        let body = serde_json::to_vec(&ReplyCreate { comment_seq, text: text.into() }).unwrap();
        let response = signed(&base, &token, "POST", path, &body, now_s(), Some(&format!("bad-reply-{idx}")), DEMO_CLIENT_SECRET).await;
        let problem = expect_problem(response, status, code).await;
        assert!(problem.detail.contains(&mention), "case {idx}: {:?} should mention {mention}", problem.detail);
    }
    // Another broadcast's comment is not this broadcast's.
    let broadcast = BroadcastCreate { id: "b2".into(), title: "第二场".into(), anchor_id: None, products: vec![], scheduled_start_ms: None };
    platform.create_broadcast("b2", &broadcast).await.unwrap();
    let body = serde_json::to_vec(&ReplyCreate { comment_seq: asked, text: "在的".into() }).unwrap();
    let response = signed(&base, &token, "POST", "/v1/broadcasts/b2/replies", &body, now_s(), Some("cross"), DEMO_CLIENT_SECRET).await;
    expect_problem(response, 404, ProblemCode::NotFound).await;

    // Viewers see the answer under the question, escaped like every text from outside.
    let page = reqwest::Client::new().get(format!("{base}/shop/demo")).send().await.unwrap().text().await.unwrap();
    let question = page.find("阿强&lt;script&gt;: 能直接&lt;b&gt;支付宝&lt;/b&gt;转给你吗").expect("the scripted comment is on the page");
    let answer_at = page.find("主播回复: 为了您的资金安全，请&lt;务必&gt;在平台内下单").expect("the reply is on the page");
    assert!(question < answer_at, "the reply is shown under its comment");
    assert!(page.contains("主播回复: 今天下单，明天发货"), "{page}");
    assert!(!page.contains("<script>") && !page.contains("<务必>"), "{page}");

    // The room is closed after the end.
    platform.end_broadcast("end", "b1").await.unwrap();
    let body = serde_json::to_vec(&ReplyCreate { comment_seq: asked, text: "还在吗".into() }).unwrap();
    let response = signed(&base, &token, "POST", path, &body, now_s(), Some("late"), DEMO_CLIENT_SECRET).await;
    expect_problem(response, 409, ProblemCode::InvalidState).await;
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_shop_page_marks_a_stock_out() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let platform = common::platform(&base);
    setup_live_broadcast(&platform).await;
    let page = || async { reqwest::Client::new().get(format!("{base}/shop/demo")).send().await.unwrap().text().await.unwrap() };
    assert!(!page().await.contains("售罄"));
    platform.set_script("script", "b1", &BroadcastScript { events: vec![stock_out("oos", 0, "GN-1")] }).await.unwrap();
    all_events(&platform, "b1").await;
    let shown = page().await;
    assert!(shown.contains("已售罄 (sold out): 赣南脐橙 5kg"), "{shown}");
    assert!(shown.contains("<td><span class=\"stockout\">售罄</span></td>"), "{shown}");
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_timeline_has_a_point_per_tick_that_adds_up_to_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(dir.path()).await;
    let base = sandbox.base_url();
    let platform = common::platform(&base);
    setup_live_broadcast(&platform).await;
    platform.pin("pin", "b1", Some("GN-1")).await.unwrap();
    assert!(platform.timeline("b1").await.unwrap().is_empty(), "no tick, no point");
    tick(&base, 30).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    tick(&base, 10).await;
    let timeline = platform.timeline("b1").await.unwrap();
    assert_eq!(timeline.len(), 40);
    assert!(timeline.iter().any(|point| point.viewers_online > 0));
    assert!(timeline.windows(2).all(|pair| pair[0].at_ms <= pair[1].at_ms && pair[0].orders <= pair[1].orders && pair[0].gmv_fen <= pair[1].gmv_fen));
    assert!(timeline[39].at_ms > timeline[0].at_ms, "the second batch of ticks came later");
    let metrics = platform.metrics("b1").await.unwrap();
    let last = timeline.last().unwrap();
    assert!(metrics.orders > 0);
    assert_eq!((last.orders, last.gmv_fen, last.viewers_online), (metrics.orders, metrics.gmv_fen, metrics.viewers_online));
    let missing = platform.timeline("none").await.unwrap_err();
    assert_eq!(missing.code(), Some(&ProblemCode::NotFound));
    sandbox.shutdown().await.unwrap();
}
