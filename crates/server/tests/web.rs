//! The team's web page against a real PostgreSQL: sign in with a form, the session in an
//! HttpOnly cookie, the organisation's catalog and rule pack (escaped), nothing of another
//! organisation's, the one-time password's own page, sign-out, and forms from another site
//! refused.

use anchordesk_server::testkit::TestPostgres;
use anchordesk_server::{Config, admin, db};
use reqwest::StatusCode;
use serde_json::json;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Posts the sign-in form.
async fn form_sign_in(http: &reqwest::Client, url: &str, email: &str, password: &str) -> reqwest::Response {
    http.post(format!("{url}/sign-in")).form(&[("email", email), ("password", password)]).send().await.unwrap()
}

fn session_cookie(response: &reqwest::Response) -> String {
    let set = response.headers().get("set-cookie").expect("a session cookie").to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    set.split(';').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_without_a_desk_see_their_teams_catalog_and_rule_pack_on_the_web_page() {
    let pg = TestPostgres::start();
    let server = anchordesk_server::start(Config { database_url: pg.url(), listen: "127.0.0.1:0".parse().unwrap(), behind_proxy: false, tls: None, data_dir: None }).await.unwrap();
    let url = server.base_url();
    let pool = db::connect(&pg.url()).unwrap();
    let mcn = admin::create_org(&pool, "星火MCN", "boss@xinghuo.cn").await.unwrap();
    let other = admin::create_org(&pool, "别的机构", "chief@other.cn").await.unwrap();
    let http = no_redirects();

    // Not signed in: the page sends you to sign in.
    let away = http.get(format!("{url}/team")).send().await.unwrap();
    assert_eq!(away.status(), StatusCode::SEE_OTHER);
    assert_eq!(away.headers()["location"], "/sign-in");
    let form = http.get(format!("{url}/sign-in?lang=en")).send().await.unwrap();
    assert!(form.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    assert!(form.text().await.unwrap().contains("Sign in to your team"));
    assert_eq!(form_sign_in(&http, &url, "boss@xinghuo.cn", "wrong").await.status(), StatusCode::UNAUTHORIZED);

    // A one-time password opens only the page to choose one's own.
    let first = form_sign_in(&http, &url, "boss@xinghuo.cn", &mcn.one_time_password).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let cookie = session_cookie(&first);
    let page = http.get(format!("{url}/team")).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("设置自己的密码") && !page.contains("共享商品目录"), "{page}");
    let chosen = http.post(format!("{url}/password")).header("cookie", &cookie).form(&[("current", mcn.one_time_password.as_str()), ("new", "星火的新密码-2026")]).send().await.unwrap();
    assert_eq!(chosen.status(), StatusCode::SEE_OTHER);

    // Through the API, the team shares a product (with markup in its name) and a rule pack.
    let api = reqwest::Client::new();
    let session: serde_json::Value = api.post(format!("{url}/api/v1/sign-in")).json(&json!({ "email": "boss@xinghuo.cn", "password": "星火的新密码-2026" })).send().await.unwrap().json().await.unwrap();
    let token = session["token"].as_str().unwrap();
    let org = mcn.org_id;
    api.put(format!("{url}/api/v1/orgs/{org}/products/ORANGE-5KG")).bearer_auth(token).json(&json!({ "body": { "name": "赣南脐橙 <b>5kg</b>", "price": 5990, "stock": 120 } })).send().await.unwrap().error_for_status().unwrap();
    let words = json!({ "body": { "disabledRules": ["zh.absolute.first"], "words": [{ "pattern": "闭眼入", "category": "absolute", "severity": "warning", "message": "品牌禁用词", "rewrites": [] }], "lexiconWords": [] } });
    api.put(format!("{url}/api/v1/orgs/{org}/rule-pack")).bearer_auth(token).json(&words).send().await.unwrap().error_for_status().unwrap();

    let on_air = json!({ "body": { "broadcast": { "title": "3号直播间 晚场", "plannedStart": "2026-12-07T20:00" }, "lineup": [{ "productName": "赣南脐橙" }], "runOfShow": { "plannedMinutes": 90 }, "sessions": [{ "status": "live", "rehearsal": false, "startedAt": "2026-12-07T12:01:00Z" }],
        "checklist": [
            { "title": "核对价格和库存", "titleEn": "Check prices and stock", "critical": true, "auto": false, "doneBy": "场控<小王>", "doneAt": "2026-12-07T11:58:30Z" },
            { "title": "备好售后话术", "titleEn": "Prepare after-sales answers", "critical": true, "auto": false, "doneBy": null, "doneAt": null },
            { "title": "违规用语检查", "titleEn": "Claims check", "critical": true, "auto": true, "doneBy": null, "doneAt": null }
        ] } });
    api.put(format!("{url}/api/v1/orgs/{org}/broadcasts/desk-1-7")).bearer_auth(token).json(&on_air).send().await.unwrap().error_for_status().unwrap();
    let planned = json!({ "body": { "broadcast": { "title": "明早 <i>早场</i>", "plannedStart": "2026-12-08T08:00" }, "lineup": [], "runOfShow": { "plannedMinutes": 60 } } });
    api.put(format!("{url}/api/v1/orgs/{org}/broadcasts/desk-1-8")).bearer_auth(token).json(&planned).send().await.unwrap().error_for_status().unwrap();

    let page = http.get(format!("{url}/team")).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("星火MCN") && page.contains("负责人"), "{page}");
    assert!(page.contains("直播中</span> 3号直播间 晚场") && page.contains("未开播</span> 明早 &lt;i&gt;早场&lt;/i&gt;"), "broadcasts with their state, escaped: {page}");
    assert!(page.find("明早").unwrap() < page.find("3号直播间").unwrap(), "the latest planned start first");
    // The checklist: the items a person ticks, who ticked them and when (names escaped), the
    // open critical one marked, the automatic check said to be one.
    let checklist = &page[page.find("<details class=\"checklist\">").expect("the checklist is shown")..];
    let checklist = &checklist[..checklist.find("</details>").unwrap()];
    assert!(checklist.contains("场控清单 · 已勾选 1/2"), "{checklist}");
    assert!(checklist.contains("<li class=\"done critical\">✓ 核对价格和库存 <span class=\"faint\">场控&lt;小王&gt; · 2026-12-07 11:58</span>"), "{checklist}");
    assert!(checklist.contains("<li class=\"open critical\">○ 备好售后话术 <span class=\"faint\">未勾选</span>"), "{checklist}");
    assert!(checklist.contains("⚙ 违规用语检查 <span class=\"faint\">自动检查</span>"), "{checklist}");
    assert!(page.contains("赣南脐橙 &lt;b&gt;5kg&lt;/b&gt;") && !page.contains("<b>5kg</b>"), "names are escaped");
    assert!(page.contains("¥59.90") && page.contains("120"), "{page}");
    assert!(page.contains("闭眼入") && page.contains("zh.absolute.first"), "the rule pack is shown");
    assert!(page.contains("put-product") && !page.contains("chief@other.cn"), "the owner sees the activity of their own organisation only");
    let english = http.get(format!("{url}/team?lang=en")).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(english.contains("Shared catalog") && english.contains("Team rule pack") && english.contains("owner"), "{english}");
    assert!(english.contains("Checklist · ticked 1/2") && english.contains("Prepare after-sales answers"), "{english}");

    // Another organisation's member sees none of it.
    let theirs = form_sign_in(&http, &url, "chief@other.cn", &other.one_time_password).await;
    let their_cookie = session_cookie(&theirs);
    http.post(format!("{url}/password")).header("cookie", &their_cookie).form(&[("current", other.one_time_password.as_str()), ("new", "别的机构的密码-2026")]).send().await.unwrap();
    let their_page = http.get(format!("{url}/team")).header("cookie", &their_cookie).send().await.unwrap().text().await.unwrap();
    assert!(their_page.contains("别的机构") && !their_page.contains("赣南脐橙") && !their_page.contains("闭眼入"), "{their_page}");

    // A form from another site is refused; signing out ends the session.
    let forged = http.post(format!("{url}/sign-out")).header("cookie", &cookie).header("origin", "https://evil.example").send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let out = http.post(format!("{url}/sign-out")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let after = http.get(format!("{url}/team")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "the session is revoked on the server, not only forgotten by the browser");
    server.shutdown().await.unwrap();
}
