// The first-run guide a new anchor meets on an empty machine: language, kind of seller,
// devices with a test recording, then the app; never shown again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { byTestId, closeApp, openApp, screenshot, startDisplay, stopAll, tempDataDir, waitForText } from './harness.mjs';

let env;
before(async () => {
  env = await startDisplay();
});
after(async () => {
  await stopAll();
});

test('a new anchor is guided from an empty machine to a test recording, once', async () => {
  const dataDir = tempDataDir();
  let browser = await openApp(env, dataDir, { ANCHORDESK_SKIP_FIRST_RUN: '0' });
  try {
    await (await byTestId(browser, 'first-run')).waitForDisplayed({ timeout: 30000 });
    await waitForText(browser, '[data-testid="first-run"]', '欢迎使用主播工作台');
    await screenshot(browser, 'zh-first-run-language');
    await (await byTestId(browser, 'first-run-en')).click();
    await waitForText(browser, '[data-testid="first-run"]', 'Welcome to AnchorDesk');
    await screenshot(browser, 'en-first-run-language');
    await (await byTestId(browser, 'first-run-zh')).click();
    await waitForText(browser, '[data-testid="first-run"]', '欢迎使用主播工作台');
    await (await byTestId(browser, 'first-run-next')).click();

    // The next step needs a choice.
    assert.equal(await (await byTestId(browser, 'first-run-next')).isEnabled(), false);
    await (await byTestId(browser, 'first-run-kind-mcn')).click();
    await screenshot(browser, 'zh-first-run-kind');
    await (await byTestId(browser, 'first-run-next')).click();

    // Camera and microphone: the test source records 10 seconds.
    await (await byTestId(browser, 'devices-settings')).waitForDisplayed();
    await (await byTestId(browser, 'devices-test')).click();
    await (await byTestId(browser, 'devices-result')).waitForDisplayed({ timeout: 60000 });
    await waitForText(browser, '[data-testid="devices-result"]', '10');
    await screenshot(browser, 'zh-first-run-devices');
    await (await byTestId(browser, 'first-run-next')).click();
    await waitForText(browser, '[data-testid="first-run"]', '准备好了');
    await (await byTestId(browser, 'first-run-next')).click();

    // The app, with the studio's choices: no sample products (undo offered), the MCN template.
    await (await byTestId(browser, 'product-new')).waitForDisplayed({ timeout: 10000 });
    await waitForText(browser, '[data-testid="toast"]', '示例');
    assert.equal((await browser.$$('[data-testid="product-row"]')).length, 0);
    await (await byTestId(browser, 'nav-broadcasts')).click();
    await (await byTestId(browser, 'broadcast-new')).click();
    const mcn = await byTestId(browser, 'template-mcn');
    await mcn.waitForExist();
    assert.equal(await mcn.isSelected(), true, 'new broadcasts start from the MCN template');
  } finally {
    await closeApp(browser);
  }

  // Never shown again.
  browser = await openApp(env, dataDir, { ANCHORDESK_SKIP_FIRST_RUN: '0' });
  try {
    await (await byTestId(browser, 'product-new')).waitForDisplayed({ timeout: 30000 });
    assert.equal((await browser.$$('[data-testid="first-run"]')).length, 0);
  } finally {
    await closeApp(browser);
  }
});

test('the guide can be skipped with Escape and is gone for good', async () => {
  const dataDir = tempDataDir();
  let browser = await openApp(env, dataDir, { ANCHORDESK_SKIP_FIRST_RUN: '0' });
  try {
    await (await byTestId(browser, 'first-run')).waitForDisplayed({ timeout: 30000 });
    await browser.keys('Escape');
    await (await byTestId(browser, 'product-new')).waitForDisplayed({ timeout: 10000 });
    assert.ok((await browser.$$('[data-testid="product-row"]')).length > 0, 'the samples stay when skipped');
  } finally {
    await closeApp(browser);
  }
  browser = await openApp(env, dataDir, { ANCHORDESK_SKIP_FIRST_RUN: '0' });
  try {
    await (await byTestId(browser, 'product-new')).waitForDisplayed({ timeout: 30000 });
    assert.equal((await browser.$$('[data-testid="first-run"]')).length, 0);
  } finally {
    await closeApp(browser);
  }
});
