// Preparing a county charity sale in the real window: template, line-up, checklist gate.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT, byTestId, closeApp, openApp, screenshot, startDisplay, stopAll, tempDataDir, waitForText } from './harness.mjs';

let env;
before(async () => {
  env = await startDisplay();
});
after(async () => {
  await stopAll();
});

const CLI = path.join(ROOT, 'target/debug/anchordesk');


async function setStock(browser, value) {
  await (await byTestId(browser, 'tab-lineup')).click();
  const stock = await byTestId(browser, 'lineup-stock');
  await stock.waitForDisplayed();
  await stock.clearValue();
  await stock.setValue(value);
  await browser.keys('Enter');
  await browser.waitUntil(async () => (await stock.getValue()) === value);
}

test('a county charity sale prepared from the template; the checklist gates going live, and the CLI agrees', async () => {
  const dataDir = tempDataDir();
  const browser = await openApp(env, dataDir);
  try {
    await (await byTestId(browser, 'nav-broadcasts')).waitForDisplayed({ timeout: 30000 });
    await (await byTestId(browser, 'nav-broadcasts')).click();
    await (await byTestId(browser, 'broadcast-new')).click();
    await (await byTestId(browser, 'template-county')).waitForExist();
    await browser.execute(() => document.querySelector('[data-testid="template-county"]').click());
    await (await browser.$('#b-title')).setValue('信丰县脐橙助农专场');
    await (await byTestId(browser, 'after-sales')).setValue('客服电话 0797-1234567');
    await screenshot(browser, 'zh-broadcast-new-template');
    await (await byTestId(browser, 'broadcast-save')).click();
    await (await byTestId(browser, 'lineup-add')).waitForDisplayed();

    await (await byTestId(browser, 'lineup-add')).click();
    await (await byTestId(browser, 'picker-search')).setValue('脐橙');
    await browser.keys('Enter');
    await waitForText(browser, '[data-testid="lineup"]', '赣南脐橙');
    await browser.keys('Escape');
    await setStock(browser, '0');

    await (await byTestId(browser, 'tab-checklist')).click();
    const operator = await byTestId(browser, 'operator');
    await operator.waitForDisplayed();
    await operator.setValue('场控小王');
    const ticks = await browser.$$('[data-testid="checklist-tick"]');
    assert.ok(ticks.length >= 5, `expected manual items, found ${ticks.length}`);
    for (let i = 0; i < ticks.length; i++) {
      const tick = (await browser.$$('[data-testid="checklist-tick"]'))[i];
      await tick.click();
      await browser.waitUntil(async () => (await (await browser.$$('[data-testid="checklist-tick"]'))[i].isSelected()));
    }
    // One role's duties at a time: the product selector (选品) has one item in this template.
    const showRole = (value) =>
      browser.execute((v) => {
        const select = document.querySelector('[data-testid="checklist-role"]');
        select.value = v;
        select.dispatchEvent(new Event('change', { bubbles: true }));
      }, value);
    await showRole('selection');
    await browser.waitUntil(async () => (await browser.$$('[data-testid="checklist-item"]')).length === 1, { timeoutMsg: 'the role filter did not narrow the list' });
    await waitForText(browser, '[data-testid="checklist-item"]', '核验供货方');
    await showRole('all');
    await waitForText(browser, '[data-testid="gate"]', '暂不能开播');
    await waitForText(browser, '[data-testid="gate-blockers"]', '本场库存为 0');
    await screenshot(browser, 'zh-checklist-blocked');
    assert.equal(spawnSync(CLI, ['--data-dir', dataDir, 'plan', 'check', '1']).status, 1, 'the CLI agrees: blocked');

    await setStock(browser, '200');
    await (await byTestId(browser, 'tab-checklist')).click();
    await waitForText(browser, '[data-testid="gate"]', '可以开播');
    await screenshot(browser, 'zh-checklist-ready');
    const cli = spawnSync(CLI, ['--data-dir', dataDir, 'plan', 'check', '1'], { encoding: 'utf8' });
    assert.equal(cli.status, 0, `the CLI agrees: ready\n${cli.stdout}\n${cli.stderr}`);
    assert.match(cli.stdout, /Go live: allowed/);

    await (await byTestId(browser, 'tab-script')).click();
    await (await byTestId(browser, 'timeline')).waitForDisplayed();
    const labels = () =>
      browser.execute(() => [...document.querySelectorAll('[data-testid="segment"]')].map((el) => el.getAttribute('aria-label')));
    await browser.waitUntil(async () => (await labels()).some((label) => label.includes('赣南脐橙')), {
      timeoutMsg: 'no product segment for the orange',
    });
    const titles = await labels();
    assert.ok(titles.some((label) => label.includes('县领导介绍本县')), titles.join(' | '));
    assert.ok(
      titles.findIndex((label) => label.includes('赣南脐橙')) < titles.findIndex((label) => label.includes('收尾')),
      'the product segment comes before the closing',
    );
    await screenshot(browser, 'zh-run-of-show');
    const markdown = execFileSync(CLI, ['--data-dir', dataDir, 'plan', 'show', '1'], { encoding: 'utf8' });
    assert.match(markdown, /赣南脐橙/);

    // A pasted script with a product that is not in the line-up is refused, naming the line.
    await (await byTestId(browser, 'script-import')).click();
    // WebDriver's typing drops newlines in a textarea, so the script is pasted as a value.
    const paste = (text) =>
      browser.execute((value) => {
        const area = document.querySelector('[data-testid="script-import-text"]');
        area.value = value;
        area.dispatchEvent(new Event('input', { bubbles: true }));
      }, text);
    await (await byTestId(browser, 'script-import-text')).waitForDisplayed();
    await paste('## 开场（3 分钟，主播）\n- 欢迎\n## [NO-SUCH] 不存在的商品\n');
    await (await byTestId(browser, 'script-import-run')).click();
    await waitForText(browser, '[data-testid="script-import-panel"]', 'line 3');
    await paste('## 开场：欢迎来到信丰（4 分钟，主播）\n- 大家好\n## [SAMPLE-ORANGE-5KG] 赣南脐橙（8 分钟）\n- 现场切开看果肉\n## 收尾（2 分钟）\n');
    await (await byTestId(browser, 'script-import-run')).click();
    await browser.waitUntil(async () => (await labels()).length === 3, { timeoutMsg: 'the imported script did not replace the run-of-show' });

    // The teleprompter opens in its own window and follows the global F8 hotkey.
    const mainWindow = await browser.getWindowHandle();
    await (await byTestId(browser, 'prompter-open')).click();
    await browser.waitUntil(async () => (await browser.getWindowHandles()).length === 2, { timeoutMsg: 'no prompter window' });
    const prompterWindow = (await browser.getWindowHandles()).find((handle) => handle !== mainWindow);
    await browser.switchToWindow(prompterWindow);
    await waitForText(browser, '[data-testid="prompter-position"]', '1 /');
    await waitForText(browser, '[data-testid="prompter-title"]', '开场');
    await screenshot(browser, 'zh-prompter');
    // xdotool presses the key on the X server, as a keyboard would, outside WebDriver.
    execFileSync('xdotool', ['key', 'F8'], { env });
    await waitForText(browser, '[data-testid="prompter-position"]', '2 /');
    await waitForText(browser, '[data-testid="prompter-title"]', '赣南脐橙');
    await browser.switchToWindow(mainWindow);
  } finally {
    await closeApp(browser);
  }
});
