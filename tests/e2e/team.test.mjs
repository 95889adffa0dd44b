// Settings → Team in the real window: two desks (two data directories) join one team on a
// real team server backed by a real PostgreSQL; a product made on the first desk reaches the
// second through the server. The session token is kept in the test's Secret Service.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { byTestId, closeApp, openApp, ROOT, screenshot, startDisplay, stopAll, tempDataDir, waitFor, waitForText } from './harness.mjs';
import { fillJoin, openBrowser, press, screenshotPage, startPostgres, startTeamServer, typeInto } from './teamkit.mjs';

const OWN_PASSWORD = '星火的新密码-2026';
let env;
let postgres;
before(async () => {
  env = await startDisplay();
});
after(async () => {
  await stopAll();
  postgres?.stop();
});

test('two desks open side by side in one team: a product made on one reaches the other, an edit comes back; a broadcast planned on the web page is taken by a desk', async () => {
  postgres = await startPostgres();
  const url = await startTeamServer(postgres);
  const created = execFileSync(path.join(ROOT, 'target/debug/anchordesk'), ['server', 'admin', 'create-org', '星火MCN', '--owner', 'boss@xinghuo.cn', '--database-url', postgres.url], { encoding: 'utf8' });
  const password = created.match(/one-time password: (\S+)/)[1];

  // Desk 1 joins (a wrong password first), makes a product and syncs.
  const firstDir = tempDataDir();
  // Its own background sync would first run ten seconds after it opens; here not for an hour,
  // so the syncs below are the ones pressed and their reports are exact.
  const first = await openApp(env, firstDir, { ANCHORDESK_TEAM_SYNC_SECONDS: '3600' });
  try {
    await fillJoin(first, url, 'boss@xinghuo.cn', 'not-the-password');
    await waitForText(first, '[data-testid="team-problem"]', '邮箱或密码不对');
    await typeInto(first, '[data-testid="team-password"]', password);
    await press(first, 'team-join');
    // A one-time password: the desk asks for the owner's own before joining.
    await waitForText(first, '[data-testid="team-problem"]', '一次性密码');
    await typeInto(first, '[data-testid="team-new-password"]', OWN_PASSWORD);
    await press(first, 'team-join');
    await waitForText(first, '[data-testid="team-current"]', '负责人');
    await (await byTestId(first, 'nav-products')).click();
    await (await byTestId(first, 'product-new')).click();
    await typeInto(first, '#p-name', '团队共享 高山云雾茶');
    await typeInto(first, '#p-sku', 'TEAM-TEA-1');
    await typeInto(first, '#p-price', '88.00');
    await typeInto(first, '#p-stock', '30');
    await press(first, 'product-save');
    await waitForText(first, '.list', '团队共享 高山云雾茶');
    await (await byTestId(first, 'nav-settings')).click();
    await press(first, 'team-sync');
    await waitForText(first, 'body', '发出 1 项');
    await waitForText(first, '[data-testid="team-settings"]', '共用 1 件商品');
    const session = await (await fetch(`${url}/api/v1/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'boss@xinghuo.cn', password: OWN_PASSWORD }) })).json();
    const shared = await (await fetch(`${url}/api/v1/orgs/${session.member.orgId}/products`, { headers: { authorization: `Bearer ${session.token}` } })).json();
    assert.ok(shared.some((p) => p.sku === 'TEAM-TEA-1' && p.body?.name === '团队共享 高山云雾茶' && p.version === 1), JSON.stringify(shared));
    // The owner opened a live room meanwhile (through the API); after the sync the desk lists
    // it and works for it.
    const opened = await fetch(`${url}/api/v1/orgs/${session.member.orgId}/rooms`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` }, body: JSON.stringify({ name: '3号直播间', kind: 'room' }) });
    assert.equal(opened.status, 201);
    await press(first, 'team-sync');
    await waitForText(first, '[data-testid="team-room"]', '3号直播间 · 直播间');
    await (await byTestId(first, 'team-room')).selectByVisibleText('3号直播间 · 直播间');
    await waitForText(first, 'body', '现在属于「3号直播间」');
    assert.equal(await (await byTestId(first, 'team-room')).getValue(), '3号直播间');
    await (await byTestId(first, 'team-settings')).scrollIntoView();
    await screenshot(first, 'zh-settings-team');

    // Desk 2 opens beside it — on a display, session bus and keyring of its own, as on a
    // second computer (one desk per session: a second launch there focuses the first window)
    // — joins the same team and receives the product on its own (its
    // background sync runs every 2 s here instead of every two minutes): nobody presses Sync
    // now, the product list loads again when the team's product arrives, and Settings → Team
    // says when it synced. Then it changes the price, and desk 1, still open, gets it.
    const secondComputer = await startDisplay();
    const second = await openApp(secondComputer, tempDataDir(), { ANCHORDESK_TEAM_SYNC_SECONDS: '2' });
    try {
      await fillJoin(second, url, 'boss@xinghuo.cn', OWN_PASSWORD);
      await waitForText(second, '[data-testid="team-current"]', '星火MCN');
      await (await byTestId(second, 'nav-products')).click();
      await waitForText(second, '.list', '团队共享 高山云雾茶', 30000);
      await (await byTestId(second, 'nav-settings')).click();
      await waitForText(second, '[data-testid="team-auto"]', '自动与团队同步', 30000);
      await (await byTestId(second, 'nav-products')).click();
      await second.execute(() => [...document.querySelectorAll('[data-testid="product-row"]')].find((row) => row.textContent.includes('高山云雾茶')).click());
      await typeInto(second, '#p-price', '99.00');
      await press(second, 'product-save');
      await waitForText(second, '.list', '¥99.00');
      // Desk 2's background sync sends it; desk 1 takes it at its next sync.
      await waitFor(async () => {
        const products = await (await fetch(`${url}/api/v1/orgs/${session.member.orgId}/products`, { headers: { authorization: `Bearer ${session.token}` } })).json();
        return products.some((p) => p.sku === 'TEAM-TEA-1' && p.version === 2);
      }, "desk 2's change on the team server", 30000);
      await (await byTestId(first, 'nav-settings')).click();
      await press(first, 'team-sync');
      await waitForText(first, 'body', '收到 1 项');
      await (await byTestId(first, 'nav-products')).click();
      await waitForText(first, '.list', '¥99.00');
    } finally {
      await closeApp(second);
    }
  } finally {
    await closeApp(first);
  }

  // The 运营 without a desk opens the team's web page in a browser (Chromium, driven by
  // chromedriver): signs in and sees the shared catalog, in Chinese and English.
  const web = await openBrowser(env);
  try {
    await web.url(`${url}/sign-in`);
    await typeInto(web, 'input[name="email"]', 'boss@xinghuo.cn');
    await typeInto(web, 'input[name="password"]', 'not-the-password');
    await (await web.$('button[type="submit"]')).click();
    await waitForText(web, '[role="alert"]', '邮箱或密码不对');
    await typeInto(web, 'input[name="password"]', OWN_PASSWORD);
    await (await web.$('button[type="submit"]')).click();
    await waitForText(web, 'main', '共享商品目录');
    await waitForText(web, 'tr[data-sku="TEAM-TEA-1"]', '团队共享 高山云雾茶');
    assert.match(await (await web.$('tr[data-sku="TEAM-TEA-1"]')).getText(), /¥99\.00/);
    await screenshotPage(web, 'zh-team-web');
    // Tonight's broadcast for room 3, planned on the page.
    await web.url(`${url}/team#plans`);
    await typeInto(web, 'form.plan input[name="title"]', '网页排期 脐橙专场');
    await web.execute(() => {
      const start = document.querySelector('form.plan input[name="start"]');
      start.value = '2026-12-08T19:30';
    });
    await (await web.$('form.plan select[name="template"]')).selectByAttribute('value', 'farmer');
    await typeInto(web, 'form.plan input[name="contact"]', '客服电话 0797-1234567');
    await (await web.$('form.plan input[value="TEAM-TEA-1"]')).click();
    await typeInto(web, 'form.plan input[name="price:TEAM-TEA-1"]', '79.90');
    await (await web.$('form.plan')).scrollIntoView();
    await screenshotPage(web, 'zh-team-web-plan');
    await (await web.$('form.plan button[type="submit"]')).click();
    await waitForText(web, 'ul.waiting', '网页排期 脐橙专场');
    await web.url(`${url}/team?lang=en`);
    await waitForText(web, 'main', 'Shared catalog');
    await screenshotPage(web, 'en-team-web');
    await (await web.$('header + main form button')).click();
    await waitForText(web, 'main', 'Sign in to your team');
  } finally {
    await web.deleteSession().catch(() => {});
  }

  // Room 3's desk takes the plan at its next sync: the broadcast is in its list.
  const again = await openApp(env, firstDir, { ANCHORDESK_TEAM_SYNC_SECONDS: '3600' });
  try {
    await (await byTestId(again, 'nav-settings')).waitForDisplayed({ timeout: 30000 });
    await (await byTestId(again, 'nav-settings')).click();
    await press(again, 'team-sync');
    await waitForText(again, 'body', '收到团队网页上安排的 1 个场次');
    await (await byTestId(again, 'nav-broadcasts')).click();
    await waitForText(again, 'body', '网页排期 脐橙专场');
    await screenshot(again, 'zh-broadcasts-planned-on-web');
    // The owner shares it as the team's template; new broadcasts can start from it.
    await (await byTestId(again, 'broadcast-row')).click();
    await press(again, 'broadcast-share-template');
    await typeInto(again, '[data-testid="share-template-name"]', 'xinghuo-evening');
    await typeInto(again, '[data-testid="share-template-title"]', '星火晚场模板');
    await screenshot(again, 'zh-broadcast-share-template');
    await press(again, 'share-template-send');
    await waitForText(again, 'body', '已把「星火晚场模板」共享为团队模板');
    await press(again, 'broadcast-new');
    await (await byTestId(again, 'template-xinghuo-evening')).waitForExist({ timeout: 10000 });
  } finally {
    await closeApp(again);
  }
});
