// Going live for real in the window: the practice platform answers the start with its
// ingest (a real nginx-rtmp on loopback), the push reaches it, the platform pins each
// product presented, a viewer's comment gets a reply that the linter first holds back,
// and the report counts the platform's orders. The stream key never reaches the log. The
// second destination takes the desk's second picture (vertical, 720×1280) while the
// platform's ingest and the recording keep the landscape one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { byTestId, closeApp, freePort, openApp, screenshot, sleep, start, startDisplay, stop, stopAll, tempDataDir, waitFor, waitForText, waitGone } from './harness.mjs';
import { prepare } from './flows.mjs';

let env;
let nginx;
let nginxDir;
let rtmpPort;
before(async () => {
  env = await startDisplay();
  rtmpPort = await freePort();
  nginxDir = tempDataDir();
  mkdirSync(path.join(nginxDir, 'logs'));
  mkdirSync(path.join(nginxDir, 'rec'));
  const module = execFileSync('dpkg', ['-L', 'libnginx-mod-rtmp'], { encoding: 'utf8' })
    .split('\n')
    .find((line) => line.endsWith('ngx_rtmp_module.so'));
  writeFileSync(
    path.join(nginxDir, 'nginx.conf'),
    `load_module ${module};
daemon off;
master_process off;
error_log ${nginxDir}/logs/error.log;
pid ${nginxDir}/nginx.pid;
events { worker_connections 64; }
rtmp { server { listen 127.0.0.1:${rtmpPort}; application live { live on; record all; record_path ${nginxDir}/rec; } } }
`,
  );
  nginx = start('nginx', ['-p', nginxDir, '-e', `${nginxDir}/logs/error.log`, '-c', `${nginxDir}/nginx.conf`]);
  await waitFor(async () => {
    try {
      execFileSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${rtmpPort}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }, 'nginx-rtmp listening');
});
after(async () => {
  if (nginx) await stop(nginx);
  await stopAll();
});

async function shopPage(base) {
  const response = await fetch(`${base}/shop/demo`);
  return response.text();
}

test('go live: push to the platform ingest, pins follow the product, a linted reply, sales in the report', async () => {
  const dataDir = tempDataDir();
  // A vertical scene at 720×1280 in the library (the CLI on the same data directory).
  const cli = (args) => execFileSync(`${process.cwd()}/target/debug/anchordesk`, ['--data-dir', dataDir, ...args], { encoding: 'utf8' });
  const vertical = JSON.parse(cli(['scenes', 'show', 'portrait', '--canvas', '720x1280']));
  vertical.name = '竖屏720';
  writeFileSync(path.join(dataDir, 'vertical.json'), JSON.stringify(vertical));
  cli(['scenes', 'save', path.join(dataDir, 'vertical.json')]);
  const browser = await openApp(env, dataDir, { ANCHORDESK_SANDBOX_INGEST: `rtmp://127.0.0.1:${rtmpPort}/live` });
  try {
    await (await byTestId(browser, 'nav-settings')).waitForDisplayed({ timeout: 30000 });
    await waitForText(browser, '[data-testid="sync-badge"]', '已同步', 30000);
    await (await byTestId(browser, 'nav-settings')).click();
    await waitForText(browser, '[data-testid="platform-current"]', 'http://127.0.0.1:');
    const platformUrl = (await (await byTestId(browser, 'platform-current')).getText()).match(/http:\/\/127\.0\.0\.1:\d+/)[0];
    // A second destination (another platform's ingest; here the same nginx, another key):
    // the key goes to the keyring and is shown masked.
    await browser.execute(() => document.querySelector('[data-testid="destinations-settings"]').scrollIntoView());
    await (await byTestId(browser, 'destination-name')).setValue('公司服务器');
    await (await byTestId(browser, 'destination-url')).setValue(`rtmp://127.0.0.1:${rtmpPort}/live/second_KEY_42`);
    await (await byTestId(browser, 'destination-second-check')).click();
    await (await byTestId(browser, 'destination-add')).click();
    await waitForText(browser, '[data-testid="destinations-settings"]', `rtmp://127.0.0.1:${rtmpPort}/live/****`);
    await (await byTestId(browser, 'destination-second')).waitForDisplayed();
    assert.equal(await (await byTestId(browser, 'destination-url')).getValue(), '', 'the typed key is not kept in the form');
    // The second picture: the vertical scene; until it is saved with a taker, nothing is said.
    await browser.waitUntil(async () => (await (await byTestId(browser, 'second-scene')).isEnabled()), { timeoutMsg: 'the second picture did not load' });
    await browser.waitUntil(async () => (await browser.execute(() => [...document.querySelectorAll('[data-testid="second-scene"] option')].some((o) => o.value === '竖屏720'))), { timeoutMsg: 'the vertical scene is not offered' });
    await (await byTestId(browser, 'second-scene')).selectByAttribute('value', '竖屏720');
    await (await byTestId(browser, 'second-save')).click();
    await browser.waitUntil(async () => (await browser.execute(() => [...document.querySelectorAll('[data-testid="toast"]')].some((t) => t.textContent.includes('第二画面：竖屏720')))), { timeoutMsg: 'the second picture was not saved' });
    await browser.execute(() => document.querySelector('[data-testid="second-picture"]').scrollIntoView({ block: 'center' }));
    await screenshot(browser, 'zh-settings-second-picture');

    await prepare(browser);
    // The preflight measures before going live: devices, encoder, disk, platform, upload.
    await (await byTestId(browser, 'preflight-run')).click();
    await browser.waitUntil(async () => (await browser.$$('[data-testid="preflight-item"]')).length === 6, {
      timeout: 60000,
      timeoutMsg: 'the preflight did not report six checks',
    });
    const checks = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="preflight-item"]')].map((li) => ({ status: li.className.split(' ').find((c) => ['pass', 'warn', 'fail'].includes(c)), text: li.textContent.trim() })),
    );
    const byName = (name) => checks.find((c) => c.text.includes(name));
    assert.equal(byName('平台').status, 'pass', JSON.stringify(checks));
    assert.equal(byName('上行带宽').status, 'pass', JSON.stringify(checks));
    assert.match(byName('上行带宽').text, /kbps/);
    assert.notEqual(byName('编码器').status, 'fail', JSON.stringify(checks));
    // Two pictures are measured together: the preset and the second picture's size.
    assert.match(byName('编码器').text, /\+ 720×1280/, JSON.stringify(checks));
    assert.equal(byName('摄像头').status, 'warn', 'no camera here: the test picture');
    await screenshot(browser, 'zh-preflight');
    await (await byTestId(browser, 'go-live')).click();
    await (await byTestId(browser, 'live-console')).waitForDisplayed({ timeout: 30000 });
    await (await byTestId(browser, 'live-preview')).waitForDisplayed({ timeout: 20000 });
    // The push goes where the platform said, with the key masked.
    const plan = await (await byTestId(browser, 'live-push-plan')).getText();
    assert.match(plan, new RegExp(`rtmp://127\\.0\\.0\\.1:${rtmpPort}/live/\\*\\*\\*\\*`), plan);
    await waitForText(browser, '[data-testid="live-health"]', '推流中', 30000);
    // Both destinations are listed, each with its own state.
    await browser.waitUntil(
      async () => (await browser.execute(() => [...document.querySelectorAll('[data-testid="live-destinations"] li.live')].length)) === 2,
      { timeout: 30000, timeoutMsg: 'the two destinations are not both live' },
    );
    await waitForText(browser, '[data-testid="live-second-picture"]', '720×1280', 20000);
    await waitForText(browser, '[data-testid="live-destinations"]', '第二画面');
    // What the vertical push's viewers see, beside the main picture.
    await (await byTestId(browser, 'live-second-preview')).waitForDisplayed({ timeout: 20000 });
    const shape = await browser.execute(() => {
      const img = document.querySelector('[data-testid="live-second-preview"] img');
      return [img.naturalWidth, img.naturalHeight];
    });
    assert.ok(shape[1] > shape[0], `a vertical preview: ${shape}`);

    for (const name of ['赣南脐橙', '五常', '核桃']) {
      await browser.keys(' ');
      await waitForText(browser, '[data-testid="live-on-air"]', name);
      // The practice shop's page shows the product on air as pinned.
      await waitFor(async () => {
        const html = await shopPage(platformUrl);
        const pinned = html.match(/讲解中: <b>(.*?)<\/b>/);
        return pinned !== null && pinned[1].includes(name);
      }, `the platform pinned ${name}`, 20000);
      await sleep(2000);
    }

    // O hides the product card on the picture and shows it again.
    await browser.keys('o');
    await browser.waitUntil(async () => (await (await byTestId(browser, 'live-overlay')).getAttribute('aria-pressed')) === 'false', { timeoutMsg: 'O did not hide the card' });
    await browser.keys('o');
    await browser.waitUntil(async () => (await (await byTestId(browser, 'live-overlay')).getAttribute('aria-pressed')) === 'true', { timeoutMsg: 'O did not show the card' });

    // A caption typed live is linted first: an absolute claim is held, a plain one shown.
    await (await byTestId(browser, 'live-caption')).setValue('全网第一好橙子');
    await (await byTestId(browser, 'live-caption-show')).click();
    await (await byTestId(browser, 'live-caption-held')).waitForDisplayed({ timeout: 10000 });
    await (await byTestId(browser, 'live-caption')).clearValue();
    await (await byTestId(browser, 'live-caption')).setValue('今晚八点加场');
    await (await byTestId(browser, 'live-caption-show')).click();
    await waitForText(browser, '[data-testid="live-caption-current"]', '今晚八点加场');
    await (await byTestId(browser, 'live-caption-clear')).click();
    await waitGone(browser, 'live-caption-current');

    // A viewer's comment gets a reply: an absolute claim is held back, a quick reply goes out.
    await browser.waitUntil(async () => (await browser.$$('[data-testid="room-reply"]')).length > 0, {
      timeout: 40000,
      timeoutMsg: 'no comment arrived from the practice platform',
    });
    await browser.execute(() => document.querySelector('[data-testid="room-reply"]').click());
    await (await byTestId(browser, 'reply-dialog')).waitForDisplayed();
    await (await byTestId(browser, 'reply-text')).setValue('全网最低价，第一名的好橙子');
    await (await byTestId(browser, 'reply-send')).click();
    await (await byTestId(browser, 'reply-held')).waitForDisplayed({ timeout: 10000 });
    await screenshot(browser, 'zh-live-reply-held');
    await browser.execute(() => document.querySelectorAll('[data-testid="quick-reply"]')[0].click());
    const quick = await browser.execute(() => document.querySelectorAll('[data-testid="quick-reply"]')[0].textContent.trim());
    await (await byTestId(browser, 'reply-send')).click();
    await waitGone(browser, 'reply-dialog');
    await waitForText(browser, '[data-testid="room-feed"]', quick, 20000);
    await waitFor(async () => (await shopPage(platformUrl)).includes(quick), 'the platform shows the reply', 20000);
    // The simulated audience buys: the console counts the platform's orders.
    await waitFor(async () => (await browser.$$('[data-testid="room-sales"]')).length > 0, 'orders in the console', 40000);
    await screenshot(browser, 'zh-live-golive');

    await (await byTestId(browser, 'live-stop')).click();
    await (await byTestId(browser, 'live-stop-confirm')).click();
    await (await byTestId(browser, 'report')).waitForDisplayed({ timeout: 60000 });
    await waitForText(browser, '[data-testid="report-audience"]', '订单');
    await (await byTestId(browser, 'report-sales')).waitForDisplayed();
    await screenshot(browser, 'zh-report-audience');

    const report = JSON.parse(
      execFileSync(`${process.cwd()}/target/debug/anchordesk`, ['--data-dir', dataDir, 'report', '1'], { encoding: 'utf8' }),
    );
    assert.ok(report.room.audience.orders > 0, JSON.stringify(report.room.audience));
    assert.equal(
      report.room.sales.reduce((sum, s) => sum + s.gmv, 0),
      report.room.audience.gmv,
      'sales per product add up to the GMV',
    );
    // Both replies are kept: the one the linter held back (as evidence) and the one sent;
    // the captions too (kept on the desk, comment -1).
    assert.equal(report.replies.filter((r) => r.commentSeq === -1).length, 2, JSON.stringify(report.replies));
    const sent = report.replies.filter((r) => !r.held && r.commentSeq > 0);
    assert.equal(sent.length, 1, 'only the compliant reply went out');
    assert.equal(sent[0].lintErrors, 0);
    assert.ok(report.replies.some((r) => r.held && r.commentSeq > 0 && r.lintErrors > 0), JSON.stringify(report.replies));
  } finally {
    await closeApp(browser);
  }

  // The second picture set in the window is the desk's, as the CLI reads it.
  assert.match(cli(['scenes', 'second']), /second picture: 竖屏720, pushed to the destinations set to it/);
  // nginx recorded what the desk pushed: a playable H.264 stream named by the stream key.
  const recorded = readdirSync(path.join(nginxDir, 'rec')).filter((f) => f.endsWith('.flv'));
  assert.equal(recorded.length, 2, `the platform's ingest and the second destination: ${recorded.join(',')}`);
  assert.ok(recorded.some((f) => f.startsWith('second_KEY_42')), recorded.join(','));
  assert.ok(statSync(path.join(nginxDir, 'rec', recorded.find((f) => f.startsWith('second_KEY_42')))).size > 100_000);
  // The second destination's key was never written to the data directory.
  const leaked = spawnSync('grep', ['-r', '-l', 'second_KEY_42', dataDir], { encoding: 'utf8' });
  assert.equal(leaked.status, 1, `the key is in ${leaked.stdout}`);
  const flv = path.join(nginxDir, 'rec', recorded.find((f) => !f.startsWith('second_KEY_42')));
  assert.ok(statSync(flv).size > 100_000, `${flv} is ${statSync(flv).size} bytes`);
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', flv], { encoding: 'utf8' }));
  assert.ok(probe.streams.some((s) => s.codec_name === 'h264' && s.width === 1280 && s.height === 720), JSON.stringify(probe));
  // The second destination got the vertical picture.
  const secondFlv = path.join(nginxDir, 'rec', recorded.find((f) => f.startsWith('second_KEY_42')));
  const secondProbe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', secondFlv], { encoding: 'utf8' }));
  assert.ok(secondProbe.streams.some((s) => s.codec_name === 'h264' && s.width === 720 && s.height === 1280), JSON.stringify(secondProbe));
  const streamKey = recorded[0].replace(/\.flv$/, '');
  assert.ok(streamKey.length > 10, streamKey);
  assert.ok(!browser.driverProcess.output.includes(streamKey), 'the stream key is in the app log');
});
