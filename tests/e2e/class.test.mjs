// A class on the team server, in the real windows and the browser: the teacher sets the
// class's scenario from the desk, the student's desk takes the class's practice shop as its
// platform and rehearses there, the graded rehearsal is handed in at a sync, and the grade
// the server computed from what its shop observed appears in the teacher's window and on
// the team's web page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { byTestId, closeApp, openApp, ROOT, screenshot, sleep, startDisplay, stopAll, tempDataDir, waitForText, waitGone } from './harness.mjs';
import { fillJoin, openBrowser, press, screenshotPage, startPostgres, startTeamServer, typeInto } from './teamkit.mjs';

let env;
let postgres;
before(async () => {
  env = await startDisplay();
});
after(async () => {
  await stopAll();
  postgres?.stop();
});

// The teacher's own scenario: two oranges, the questions seconds apart.
const SCENARIO = `
id = "class-orange"
version = 1
title_zh = "班级脐橙演练"
title_en = "Class oranges drill"
summary = "两款脐橙。有人问是不是有机的（没有有机认证），有人催发货。"
target_minutes = 2

[audience]
seed = 11
size = "small"
mood = "curious"
expected_peak_viewers = 20
expected_orders = 2
expected_gmv_fen = 10000

[[products]]
sku = "CLASS-ORANGE-5"
name = "班级脐橙 5斤装"
category = "水果"
price_fen = 5990
live_price_fen = 4990
stock = 30
origin = "江西赣州"
shelf_life_days = 20
certificates = ["绿色食品"]
after_sales = "坏果包赔"
selling_points = ["现摘现发"]
planned_minutes = 1
outline = ["说清规格和直播价", "说清坏果包赔"]

[[products]]
sku = "CLASS-ORANGE-10"
name = "班级脐橙 10斤装"
category = "水果"
price_fen = 9990
live_price_fen = 8990
stock = 20
origin = "江西赣州"
shelf_life_days = 20
certificates = ["绿色食品"]
after_sales = "坏果包赔"
selling_points = ["家庭装"]
planned_minutes = 1
outline = ["说清直播价和售后"]

[[events]]
id = "organic"
at_seconds = 3
kind = "comment"
user = "橙子控"
text = "这橙子是有机的吗?"
risk = "certificate"
respond_within_seconds = 30

[events.handled]
must_not_say = ["有机"]
must_say_any = ["绿色食品", "没有认证"]

[[events]]
id = "late"
at_seconds = 5
kind = "comment"
user = "王姐"
text = "上次买的还没收到，快递太慢了！"
risk = "complaint"
respond_within_seconds = 90

[events.handled]
must_say_any = ["客服", "订单号", "帮您查"]
`;

async function api(url, method, path, token, body) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Signs in with a one-time password and chooses `own`; the session token. */
async function firstSignIn(url, email, oneTime, own) {
  const session = await api(url, 'POST', '/api/v1/sign-in', null, { email, password: oneTime });
  assert.equal((await api(url, 'PUT', '/api/v1/password', session.body.token, { current: oneTime, new: own })).status, 204);
  return session.body;
}

/** Clicks "reply" on the comment containing `text` and sends `answer`. */
async function reply(browser, text, answer) {
  await browser.waitUntil(
    () => browser.execute((t) => [...document.querySelectorAll('[data-testid="room-event"]')].some((li) => li.textContent.includes(t)), text),
    { timeout: 30000, timeoutMsg: `no comment "${text}"` },
  );
  await browser.execute((t) => {
    const item = [...document.querySelectorAll('[data-testid="room-event"]')].find((li) => li.textContent.includes(t));
    item.querySelector('[data-testid="room-reply"]').click();
  }, text);
  await (await byTestId(browser, 'reply-text')).setValue(answer);
  await (await byTestId(browser, 'reply-send')).click();
  await waitGone(browser, 'reply-dialog');
}

async function pickClass(browser) {
  await waitForText(browser, '[data-testid="team-room"]', '电商2班 · 班级', 30000);
  await (await byTestId(browser, 'team-room')).selectByVisibleText('电商2班 · 班级 · 我在其中');
  await (await byTestId(browser, 'class-panel')).waitForDisplayed({ timeout: 30000 });
}

test('a class rehearsal is observed by the team server and graded from its record, in the windows and the browser', async () => {
  postgres = await startPostgres();
  const url = await startTeamServer(postgres);
  const created = execFileSync(path.join(ROOT, 'target/debug/anchordesk'), ['server', 'admin', 'create-org', '农林职业学院', '--owner', 'dean@nlzy.edu.cn', '--database-url', postgres.url], { encoding: 'utf8' });
  const dean = await firstSignIn(url, 'dean@nlzy.edu.cn', created.match(/one-time password: (\S+)/)[1], '学院管理员的密码-2026');
  const org = dean.member.orgId;
  const added = async (email, role) => (await api(url, 'POST', `/api/v1/orgs/${org}/members`, dean.token, { email, role })).body.oneTimePassword;
  const teacher = await firstSignIn(url, 'wang@nlzy.edu.cn', await added('wang@nlzy.edu.cn', 'teacher'), '王老师的密码-2026');
  const studentOneTime = await added('chen@nlzy.edu.cn', 'student');
  const klass = await api(url, 'POST', `/api/v1/orgs/${org}/rooms`, teacher.token, { name: '电商2班', kind: 'class' });
  assert.equal(klass.status, 201);
  const members = (await api(url, 'GET', `/api/v1/orgs/${org}/members`, dean.token)).body;
  for (const email of ['wang@nlzy.edu.cn', 'chen@nlzy.edu.cn']) {
    const id = members.find((m) => m.email === email).id;
    assert.equal((await api(url, 'PUT', `/api/v1/orgs/${org}/rooms/${klass.body.id}/members/${id}`, teacher.token)).status, 204);
  }

  // The teacher's desk: its own scenario in its folder, set for the class from Settings → Team.
  const teacherDir = tempDataDir();
  mkdirSync(path.join(teacherDir, 'scenarios'));
  writeFileSync(path.join(teacherDir, 'scenarios', 'class-orange.toml'), SCENARIO);
  let desk = await openApp(env, teacherDir);
  try {
    await fillJoin(desk, url, 'wang@nlzy.edu.cn', '王老师的密码-2026');
    await waitForText(desk, '[data-testid="team-current"]', '老师');
    await pickClass(desk);
    await waitForText(desk, '[data-testid="class-course"]', '还没有设置');
    await (await byTestId(desk, 'class-scenario')).selectByAttribute('value', 'class-orange');
    await press(desk, 'class-set-course');
    await waitForText(desk, '[data-testid="class-course"]', '班级脐橙演练');
    await waitForText(desk, '[data-testid="class-course"]', '老师自编场景');
    await waitForText(desk, '[data-testid="class-grades-empty"]', '还没有人交演练');
  } finally {
    await closeApp(desk);
  }

  // The student's desk: in the class, its platform switched to the class's practice shop
  // (the teacher's scenario comes down with it), a rehearsal, graded, handed in at a sync.
  const studentDir = tempDataDir();
  desk = await openApp(env, studentDir);
  try {
    await fillJoin(desk, url, 'chen@nlzy.edu.cn', studentOneTime);
    await waitForText(desk, '[data-testid="team-problem"]', '一次性密码');
    await typeInto(desk, '[data-testid="team-new-password"]', '陈同学的密码-2026');
    await press(desk, 'team-join');
    await waitForText(desk, '[data-testid="team-current"]', '学生');
    await pickClass(desk);
    await waitForText(desk, '[data-testid="class-shop-state"]', '还不是本班的练习店');
    await press(desk, 'class-use-shop');
    await waitForText(desk, '[data-testid="class-shop-state"]', '是本班的练习店', 30000);
    await waitForText(desk, '[data-testid="sync-badge"]', '已同步', 30000);

    await (await byTestId(desk, 'nav-course')).click();
    await (await byTestId(desk, 'student-id')).setValue('2024031');
    await (await byTestId(desk, 'student-name')).setValue('陈同学');
    await (await byTestId(desk, 'student-save')).click();
    // The class's scenario is on the course page (opened again if it loaded before the
    // scenario was written: a loaded CI machine once took longer than the first wait).
    await desk.waitUntil(
      async () => {
        if ((await (await byTestId(desk, 'course-page')).getText()).includes('班级脐橙演练')) return true;
        await (await byTestId(desk, 'nav-settings')).click();
        await (await byTestId(desk, 'nav-course')).click();
        return false;
      },
      { timeout: 60000, interval: 5000, timeoutMsg: 'the class scenario is not on the course page' },
    );
    await (await byTestId(desk, 'scenario-start-class-orange')).click();
    await (await byTestId(desk, 'tab-checklist')).waitForDisplayed({ timeout: 15000 });
    await (await byTestId(desk, 'tab-checklist')).click();
    await (await byTestId(desk, 'operator')).setValue('陈同学');
    const n = (await desk.$$('[data-testid="checklist-tick"]')).length;
    for (let i = 0; i < n; i++) {
      await (await desk.$$('[data-testid="checklist-tick"]'))[i].click();
      await desk.waitUntil(async () => (await desk.$$('[data-testid="checklist-tick"]'))[i].isSelected());
    }
    await (await byTestId(desk, 'go-rehearsal')).click();
    await (await byTestId(desk, 'live-console')).waitForDisplayed({ timeout: 30000 });
    await desk.keys(' ');
    // The shop's scripted comments arrive; the complaint gets a proper answer.
    await reply(desk, '快递太慢', '抱歉久等，请把订单号发给客服，我们马上帮您查');
    await waitForText(desk, '[data-testid="room-feed"]', '有机');
    await sleep(2000);
    await (await byTestId(desk, 'live-stop')).click();
    await (await byTestId(desk, 'live-stop-confirm')).click();
    await (await byTestId(desk, 'course-total')).waitForDisplayed({ timeout: 60000 });
    const ownTotal = (await (await byTestId(desk, 'course-total')).getText()).match(/\d+(\.\d)?/)[0];

    // Grading wakes the team sync, which hands the rehearsal in: the class table (refreshed
    // by hand here) has it without anyone pressing "sync now".
    await (await byTestId(desk, 'nav-settings')).click();
    await desk.waitUntil(
      async () => {
        await press(desk, 'class-refresh');
        await sleep(500);
        return desk.execute(() => document.querySelector('[data-testid="class-grades"]')?.textContent.includes('chen@nlzy.edu.cn') ?? false);
      },
      { timeout: 60000, interval: 1000, timeoutMsg: 'the handed-in rehearsal never reached the class table' },
    );
    await waitForText(desk, '[data-testid="class-grades"]', ownTotal);
    await waitForText(desk, '[data-testid="class-grades"]', '一致');
    await screenshot(desk, 'zh-settings-class-student');
  } finally {
    await closeApp(desk);
  }

  // The teacher's window: the server's grade, agreeing with the shop's record.
  desk = await openApp(env, teacherDir);
  try {
    await (await byTestId(desk, 'nav-settings')).waitForDisplayed({ timeout: 30000 });
    await (await byTestId(desk, 'nav-settings')).click();
    await waitForText(desk, '[data-testid="class-grades"]', 'chen@nlzy.edu.cn', 30000);
    await waitForText(desk, '[data-testid="class-grades"]', '一致');
    await (await byTestId(desk, 'class-panel')).scrollIntoView();
    await screenshot(desk, 'zh-settings-class');
  } finally {
    await closeApp(desk);
  }

  // The teacher in a browser: the team's page has the class's grades.
  const web = await openBrowser(env);
  try {
    await web.url(`${url}/sign-in`);
    await typeInto(web, 'input[name="email"]', 'wang@nlzy.edu.cn');
    await typeInto(web, 'input[name="password"]', '王老师的密码-2026');
    await (await web.$('button[type="submit"]')).click();
    await waitForText(web, 'section[data-class="电商2班"]', 'chen@nlzy.edu.cn');
    await waitForText(web, 'section[data-class="电商2班"]', '一致');
    await (await web.$('section[data-class="电商2班"]')).scrollIntoView();
    await screenshotPage(web, 'zh-team-web-class');
    await web.url(`${url}/team?lang=en`);
    await waitForText(web, 'section[data-class="电商2班"]', 'Class grades');
    await screenshotPage(web, 'en-team-web-class');
  } finally {
    await web.deleteSession().catch(() => {});
  }
});
