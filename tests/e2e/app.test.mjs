// The real app in a real window (WebKitWebDriver through tauri-driver, under Xvfb).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { APP_BIN, byTestId, closeApp, openApp, screenshot, sleep, start, startDisplay, stopAll, tempDataDir, waitFor, waitForText } from './harness.mjs';

let env;

before(async () => {
  env = await startDisplay();
});

after(async () => {
  await stopAll();
});



async function typeInto(browser, selector, value) {
  const input = await browser.$(selector);
  await input.waitForDisplayed();
  await input.clearValue();
  await input.setValue(value);
}

test('create a product with a Chinese name, put it in a new line-up, restart, find both', async () => {
  const dataDir = tempDataDir();
  let browser = await openApp(env, dataDir);
  try {
    await (await byTestId(browser, 'nav-products')).waitForDisplayed({ timeout: 30000 });
    // The sample catalog is there on first start, marked as sample.
    await (await byTestId(browser, 'sample-notice')).waitForDisplayed();
    await waitForText(browser, '.list', '赣南脐橙');
    // The fresh app syncs its sample catalog to the embedded practice platform.
    await waitForText(browser, '[data-testid="sync-badge"]', '已同步', 30000);
    await screenshot(browser, 'zh-products');

    await (await byTestId(browser, 'product-new')).click();
    await typeInto(browser, '#p-name', '高山云雾茶 礼盒装');
    await typeInto(browser, '#p-sku', 'E2E-TEA-1');
    await typeInto(browser, '#p-origin', '浙江省丽水市');
    await typeInto(browser, '#p-price', '-5');
    await typeInto(browser, '#p-stock', '1.5');
    await (await browser.$('#p-spec')).click();
    // Validation messages appear next to the fields.
    await waitForText(browser, '[data-testid="product-editor"]', '不能为负数');
    await waitForText(browser, '[data-testid="product-editor"]', '请填写整数');
    await screenshot(browser, 'zh-product-validation');
    await typeInto(browser, '#p-price', '88.00');
    await typeInto(browser, '#p-stock', '30');
    await (await byTestId(browser, 'product-save')).click();
    await waitForText(browser, '.list', '高山云雾茶 礼盒装');

    await (await byTestId(browser, 'nav-broadcasts')).click();
    await (await byTestId(browser, 'broadcast-new')).click();
    await typeInto(browser, '#b-title', '周五助农直播');
    await (await byTestId(browser, 'broadcast-save')).click();
    await (await byTestId(browser, 'lineup-add')).waitForDisplayed();

    // Add our product and one sample from the picker, by keyboard.
    await (await byTestId(browser, 'lineup-add')).click();
    await typeInto(browser, '[data-testid="picker-search"]', '云雾茶');
    await browser.keys('Enter');
    await waitForText(browser, '[data-testid="lineup"]', '高山云雾茶 礼盒装');
    await typeInto(browser, '[data-testid="picker-search"]', '脐橙');
    await browser.keys('Enter');
    await waitForText(browser, '[data-testid="lineup"]', '赣南脐橙');
    await browser.keys('Escape');

    // Planned minutes of the first item: 15 (the second keeps its default 5).
    const minutes = await browser.$$('[data-testid="lineup-minutes"]');
    await minutes[0].clearValue();
    await minutes[0].setValue('15');
    await browser.keys('Enter');
    await waitForText(browser, '[data-testid="lineup-total"]', '20 分钟');

    // Reorder by keyboard: focus the second row and move it up with Alt+↑.
    const rows = await browser.$$('[data-testid="lineup-row"]');
    await rows[1].click({ x: -200 });
    await browser.execute(() => document.querySelectorAll('[data-testid="lineup-row"]')[1].focus());
    await browser.keys(['Alt', 'ArrowUp']);
    await browser.waitUntil(
      async () => (await (await browser.$$('[data-testid="lineup-row"]'))[0].getAttribute('aria-label')).includes('脐橙'),
      { timeout: 5000, timeoutMsg: 'Alt+↑ did not move the orange to the top' },
    );
    await screenshot(browser, 'zh-broadcasts');
  } finally {
    await closeApp(browser);
  }

  // Restart on the same data directory: everything is still there.
  browser = await openApp(env, dataDir);
  try {
    await (await byTestId(browser, 'nav-products')).waitForDisplayed({ timeout: 30000 });
    await typeInto(browser, '[data-testid="product-search"]', '云雾茶');
    await waitForText(browser, '.list', '高山云雾茶 礼盒装');
    await (await byTestId(browser, 'nav-broadcasts')).click();
    await waitForText(browser, '.page', '周五助农直播');
    await (await byTestId(browser, 'broadcast-row')).click();
    await browser.waitUntil(async () => (await browser.$$('[data-testid="lineup-row"]')).length === 2, {
      timeout: 10000,
      timeoutMsg: 'the line-up of two did not come back after the restart',
    });
    const rows = await browser.$$('[data-testid="lineup-row"]');
    assert.match(await rows[0].getAttribute('aria-label'), /脐橙/);
    assert.match(await rows[1].getAttribute('aria-label'), /云雾茶/);
    await waitForText(browser, '[data-testid="lineup-total"]', '20 分钟');

    // Switch to English; the choice is kept.
    await (await byTestId(browser, 'nav-settings')).click();
    await (await byTestId(browser, 'locale-en')).click();
    await waitForText(browser, 'nav', 'Products');
    await screenshot(browser, 'en-settings');
    await (await byTestId(browser, 'nav-broadcasts')).click();
    await (await byTestId(browser, 'broadcast-row')).click();
    await waitForText(browser, '[data-testid="lineup-total"]', '20 min');
    await screenshot(browser, 'en-broadcasts');
    await (await byTestId(browser, 'nav-products')).click();
    const search = await byTestId(browser, 'product-search');
    await search.waitForDisplayed();
    await browser.execute(() => {
      const input = document.querySelector('[data-testid="product-search"]');
      input.value = '';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await waitForText(browser, '.list-pane', '赣南脐橙');
    await waitForText(browser, '.list-pane', 'Sample');
    await screenshot(browser, 'en-products');
  } finally {
    await closeApp(browser);
  }
});

test('deleting a product can be undone', async () => {
  const dataDir = tempDataDir();
  const browser = await openApp(env, dataDir);
  try {
    await (await byTestId(browser, 'nav-products')).waitForDisplayed({ timeout: 30000 });
    await typeInto(browser, '[data-testid="product-search"]', '核桃');
    await browser.waitUntil(async () => (await browser.$$('[data-testid="product-row"]')).length === 1, {
      timeout: 5000,
      timeoutMsg: 'the search did not narrow the list to the walnuts',
    });
    await (await byTestId(browser, 'product-search')).click();
    await browser.keys('ArrowDown');
    await browser.keys('Delete');
    await (await byTestId(browser, 'toast-undo')).waitForDisplayed();
    await (await byTestId(browser, 'empty-state')).waitForDisplayed();
    await (await byTestId(browser, 'toast-undo')).click();
    await waitForText(browser, '.list', '薄皮核桃');
  } finally {
    await closeApp(browser);
  }
});

test('a file that is not a database is refused with a message naming it, and left untouched', async () => {
  const dataDir = tempDataDir();
  const dbPath = path.join(dataDir, 'anchordesk.sqlite3');
  writeFileSync(dbPath, 'this is not a database');
  const browser = await openApp(env, dataDir);
  try {
    const message = await byTestId(browser, 'startup-error');
    await message.waitForDisplayed({ timeout: 30000 });
    assert.match(await message.getText(), /anchordesk\.sqlite3/);
    await screenshot(browser, 'zh-startup-error');
  } finally {
    await closeApp(browser);
  }
  assert.equal(readFileSync(dbPath, 'utf8'), 'this is not a database');
});

test('a second launch hands over to the first window and exits', async () => {
  const dataDir = tempDataDir();
  const browser = await openApp(env, dataDir);
  try {
    await (await byTestId(browser, 'nav-products')).waitForDisplayed({ timeout: 30000 });
    const second = start(APP_BIN, ['--data-dir', dataDir], { env: { ...env, ANCHORDESK_DATA_DIR: dataDir } });
    const outcome = await Promise.race([second.exited, sleep(15000).then(() => null)]);
    assert.ok(outcome, 'the second instance kept running instead of handing over');
    assert.equal(outcome.code, 0, second.output);
    // The first window still answers.
    assert.ok(await (await byTestId(browser, 'nav-products')).isDisplayed());
  } finally {
    await closeApp(browser);
  }
});
