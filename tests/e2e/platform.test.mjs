// Settings → Platform in the real window: test a connection, keep the secret in the
// system keyring (a real Secret Service on the test's private bus), and nowhere else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { byTestId, closeApp, openApp, screenshot, startDisplay, stopAll, tempDataDir, waitForText } from './harness.mjs';

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

test('a platform secret is tested, kept in the keyring and never written to the data directory', async () => {
  const dataDir = tempDataDir();
  const secret = 'demo-secret-for-the-practice-shop';
  const browser = await openApp(env, dataDir);
  try {
    await (await byTestId(browser, 'nav-settings')).waitForDisplayed({ timeout: 30000 });
    await waitForText(browser, '[data-testid="sync-badge"]', '已同步', 30000);
    await (await byTestId(browser, 'nav-settings')).click();
    await waitForText(browser, '[data-testid="platform-current"]', 'http://127.0.0.1:');
    const url = (await (await byTestId(browser, 'platform-current')).getText()).match(/http:\/\/127\.0\.0\.1:\d+/)[0];

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
    await screenshot(browser, 'zh-settings-platform');
  } finally {
    await closeApp(browser);
  }
  // The embedded practice platform keeps its own shop's credentials (it is the server side
  // of the demo shop, in `sandbox/`); everything of the desk's must be free of the secret.
  const deskFiles = filesUnder(dataDir).filter((file) => !file.startsWith(path.join(dataDir, 'sandbox')));
  assert.ok(deskFiles.some((file) => file.endsWith('anchordesk.sqlite3')));
  for (const file of deskFiles) {
    assert.ok(!readFileSync(file).includes(secret), `the secret leaked into ${file}`);
  }
});
