// Settings → Platform in the real window: test a connection, keep the secret in the
// system keyring (a real Secret Service on the test's private bus), and nowhere else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { byTestId, closeApp, freePort, openApp, screenshot, start, startDisplay, stop, stopAll, tempDataDir, waitFor, waitForText } from './harness.mjs';

let env;
before(async () => {
  env = await startDisplay();
});
after(async () => {
  await stopAll();
});

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

test('a platform secret is tested, kept in the keyring, never written to the data directory or the log, and the desk switches at once', async () => {
  const dataDir = tempDataDir();
  const secret = 'demo-secret-for-the-practice-shop';
  // The team's "own" platform: a second sandbox server, in its own process.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const own = start(`${process.cwd()}/target/debug/anchordesk`, ['sandbox', '--port', String(port), '--data-dir', tempDataDir()]);
  await waitFor(async () => {
    try {
      return (await fetch(`${url}/openapi.json`)).ok;
    } catch {
      return false;
    }
  }, 'the second sandbox');
  const browser = await openApp(env, dataDir);
  try {
    await (await byTestId(browser, 'nav-settings')).waitForDisplayed({ timeout: 30000 });
    await waitForText(browser, '[data-testid="sync-badge"]', '已同步', 30000);
    await (await byTestId(browser, 'nav-settings')).click();
    await waitForText(browser, '[data-testid="platform-current"]', 'http://127.0.0.1:');

    await (await byTestId(browser, 'platform-url')).setValue(url);
    await (await byTestId(browser, 'platform-client')).setValue('demo-desk');
    await (await byTestId(browser, 'platform-secret')).setValue('wrong-secret');
    await (await byTestId(browser, 'platform-test')).click();
    await browser.waitUntil(async () => (await (await byTestId(browser, 'platform-test-result')).getText()).length > 0);
    assert.doesNotMatch(await (await byTestId(browser, 'platform-test-result')).getText(), /连接成功/);

    await (await byTestId(browser, 'platform-secret')).clearValue();
    await (await byTestId(browser, 'platform-secret')).setValue(secret);
    await (await byTestId(browser, 'platform-test')).click();
    await waitForText(browser, '[data-testid="platform-test-result"]', '连接成功');
    await (await byTestId(browser, 'platform-save')).click();
    await waitForText(browser, '[data-testid="platform-current"]', '密钥已保存在系统钥匙串（de');
    // No restart: the desk now syncs to the new platform, and the catalog reaches it.
    await browser.waitUntil(async () => (await (await byTestId(browser, 'sync-badge')).getAttribute('title')) === url, {
      timeout: 20000,
      timeoutMsg: 'the badge did not switch to the new platform',
    });
    await waitForText(browser, '[data-testid="sync-badge"]', '已同步到平台', 30000);
    await screenshot(browser, 'zh-settings-platform');
  } finally {
    await closeApp(browser);
    await stop(own);
  }
  // The app's log (its standard error, captured by the driver) never shows the secret.
  assert.ok(!browser.driverProcess.output.includes(secret), 'the secret is in the log');
  // The embedded practice platform keeps its own shop's credentials (it is the server side
  // of the demo shop, in `sandbox/`); everything of the desk's must be free of the secret.
  const deskFiles = filesUnder(dataDir).filter((file) => !file.startsWith(path.join(dataDir, 'sandbox')));
  assert.ok(deskFiles.some((file) => file.endsWith('anchordesk.sqlite3')));
  for (const file of deskFiles) {
    assert.ok(!readFileSync(file).includes(secret), `the secret leaked into ${file}`);
  }
});
