// What the team tests share: a real PostgreSQL and team server, the join form, and Chromium
// for the team's web page.
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { remote } from 'webdriverio';
import { byTestId, freePort, ROOT, SHOTS, sleep, start, tempDir, waitFor } from './harness.mjs';

/** PostgreSQL as the unprivileged postgres user in a temp dir on a free port (it refuses root). */
export async function startPostgres() {
  const bin = execFileSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'], { encoding: 'utf8' }).trim();
  const dir = tempDir('anchordesk-e2e-pg-');
  chmodSync(dir, 0o755);
  execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  const as = (tool, args) => execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], { encoding: 'utf8' });
  as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  as('pg_ctl', ['-D', data, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', path.join(dir, 'log'), '-w', 'start']);
  as('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'anchordesk']);
  return { url: `postgres://postgres@127.0.0.1:${port}/anchordesk`, stop: () => as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']) };
}

export async function typeInto(browser, selector, text) {
  const field = await browser.$(selector);
  await field.waitForDisplayed();
  await field.clearValue();
  await field.setValue(text);
}

/** Clicks a control by test id from script: the settings page is long and toasts can cover
 *  its bottom card, which WebDriver's pointer click refuses. */
export async function press(browser, id) {
  const element = await byTestId(browser, id);
  await element.waitForExist();
  await browser.execute((el) => {
    el.scrollIntoView({ block: 'center' });
    el.click();
  }, element);
}

export async function fillJoin(browser, url, email, password) {
  await (await byTestId(browser, 'nav-settings')).waitForDisplayed({ timeout: 30000 });
  await (await byTestId(browser, 'nav-settings')).click();
  await typeInto(browser, '[data-testid="team-url"]', url);
  await typeInto(browser, '[data-testid="team-email"]', email);
  await typeInto(browser, '[data-testid="team-password"]', password);
  await press(browser, 'team-join');
}

/** Chromium (Debian's, headless) under chromedriver: the browser an 运营 or a teacher is
 *  likeliest to open the team's page in. Chinese first, as a browser set up in China asks. */
export async function openBrowser(env) {
  const port = await freePort();
  start('chromedriver', [`--port=${port}`], { env });
  const capabilities = {
    browserName: 'chrome',
    'goog:chromeOptions': {
      binary: '/usr/bin/chromium',
      // --no-sandbox: the tests run as root, where Chromium's sandbox will not start.
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1100,900', '--lang=zh-CN'],
      prefs: { 'intl.accept_languages': 'zh-CN,zh' },
    },
  };
  let lastError;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      return await remote({ hostname: '127.0.0.1', port, logLevel: 'silent', connectionRetryCount: 0, capabilities });
    } catch (err) {
      lastError = err;
      await sleep(200);
    }
  }
  throw new Error(`no Chromium session: ${lastError}`);
}

/** The browser's page as a PNG in the screenshots folder. */
export async function screenshotPage(web, name) {
  await sleep(300);
  await web.saveScreenshot(path.join(SHOTS, `${name}.png`));
}

/** The team server on a free port, on `postgres`, its practice shops in a temp dir; its URL. */
export async function startTeamServer(postgres) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const shops = tempDir('anchordesk-e2e-shops-');
  start(path.join(ROOT, 'target/debug/anchordesk-server'), ['serve', '--database-url', postgres.url, '--listen', `127.0.0.1:${port}`, '--data-dir', shops]);
  await waitFor(async () => {
    try {
      return (await fetch(`${url}/api/v1/me`)).status === 401;
    } catch {
      return false;
    }
  }, 'the team server');
  return url;
}
