// Steps several end-to-end tests share: preparing a broadcast in the real window.
import { byTestId, waitForText } from './harness.mjs';

export async function addProduct(browser, query, expected) {
  await (await byTestId(browser, 'lineup-add')).click();
  await (await byTestId(browser, 'picker-search')).setValue(query);
  await browser.keys('Enter');
  await waitForText(browser, '[data-testid="lineup"]', expected);
  await browser.keys('Escape');
}

/** Creates a course broadcast with three products and ticks every manual item. */
export async function prepare(browser, title = '课程排练：三件农产品') {
  await (await byTestId(browser, 'nav-broadcasts')).waitForDisplayed({ timeout: 30000 });
  await (await byTestId(browser, 'nav-broadcasts')).click();
  await (await byTestId(browser, 'broadcast-new')).click();
  await (await byTestId(browser, 'template-course')).waitForExist();
  await browser.execute(() => document.querySelector('[data-testid="template-course"]').click());
  await (await browser.$('#b-title')).setValue(title);
  await (await byTestId(browser, 'after-sales')).setValue('客服微信群：课堂练习');
  await (await byTestId(browser, 'broadcast-save')).click();
  await (await byTestId(browser, 'lineup-add')).waitForDisplayed();
  await addProduct(browser, '脐橙', '赣南脐橙');
  await addProduct(browser, '大米', '五常');
  await addProduct(browser, '核桃', '核桃');

  await (await byTestId(browser, 'tab-checklist')).click();
  await (await byTestId(browser, 'operator')).setValue('学生甲');
  const n = (await browser.$$('[data-testid="checklist-tick"]')).length;
  for (let i = 0; i < n; i++) {
    await (await browser.$$('[data-testid="checklist-tick"]'))[i].click();
    await browser.waitUntil(async () => (await browser.$$('[data-testid="checklist-tick"]'))[i].isSelected());
  }
}

/** Prepares a broadcast and goes on air: `go-rehearsal` (recording only) or `go-live`. */
export async function rehearse(browser, button = 'go-rehearsal') {
  await prepare(browser);
  await (await byTestId(browser, button)).waitForDisplayed();
  await (await byTestId(browser, button)).click();
  await (await byTestId(browser, 'live-console')).waitForDisplayed({ timeout: 30000 });
  await (await byTestId(browser, 'live-preview')).waitForDisplayed({ timeout: 20000 });
}
