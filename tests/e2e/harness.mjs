// Starts what an end-to-end test needs, for real, and stops it again: a private D-Bus
// session bus, Xvfb, tauri-driver (which starts WebKitWebDriver and the app). Every child
// is killed by PID and waited for, also when a test fails.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { remote } from 'webdriverio';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const APP_BIN = process.env.ANCHORDESK_APP_BIN ?? path.join(ROOT, 'target/debug/anchordesk-app');
export const SHOTS = path.join(ROOT, 'target/e2e-shots');
mkdirSync(SHOTS, { recursive: true });

const children = [];

// Every temporary directory a test makes is removed when the test process exits (the
// children are stopped by then): a machine that runs the suite daily must not fill up.
const temporaries = [];
process.on('exit', () => {
  for (const dir of temporaries) rmSync(dir, { recursive: true, force: true });
});

/** A new directory under the system's temp dir, removed when the test process exits. */
export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temporaries.push(dir);
  return dir;
}

function start(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  child.output = '';
  child.stdout.on('data', (chunk) => (child.output += chunk));
  child.stderr.on('data', (chunk) => (child.output += chunk));
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  children.push(child);
  return child;
}

async function stop(child) {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const done = await Promise.race([child.exited, sleep(3000).then(() => null)]);
    if (!done) child.kill('SIGKILL');
  }
  await child.exited;
}

export async function stopAll() {
  while (children.length) await stop(children.pop());
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitFor(check, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Xvfb on a free display number and a private session bus; returns the environment to use. */
export async function startDisplay() {
  let display = 90 + Math.floor(Math.random() * 100);
  while (existsSync(`/tmp/.X11-unix/X${display}`)) display += 1;
  const xvfb = start('Xvfb', [`:${display}`, '-screen', '0', '1280x800x24', '-nolisten', 'tcp']);
  await waitFor(() => existsSync(`/tmp/.X11-unix/X${display}`), `Xvfb :${display}`);

  const bus = start('dbus-daemon', ['--session', '--nofork', '--print-address']);
  await waitFor(() => bus.output.includes('unix:'), 'the D-Bus session bus');
  const address = bus.output.split('\n')[0].trim();
  if (!xvfb.pid) throw new Error('Xvfb did not start');
  const env = { ...process.env, DISPLAY: `:${display}`, DBUS_SESSION_BUS_ADDRESS: address, NO_AT_BRIDGE: '1' };
  // A Secret Service on the private bus (GNOME Keyring, unlocked with a test password) for
  // the app's platform secrets, as a desktop session would have.
  const keyring = start('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
    // Its own runtime and data directories: a fresh login keyring, created with this password.
    env: {
      ...env,
      XDG_RUNTIME_DIR: tempDir('anchordesk-xdg-'),
      XDG_DATA_HOME: tempDir('anchordesk-keyrings-'),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  keyring.stdin.end('anchordesk-test');
  await sleep(500);
  return env;
}

/** A fresh data directory for one test. */
export function tempDataDir() {
  return tempDir('anchordesk-e2e-');
}

/** Starts tauri-driver and opens a WebDriver session on the app with `dataDir`. */
export async function openApp(env, dataDir, extraEnv = {}) {
  const port = await freePort();
  const nativePort = await freePort();
  const driver = start('tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], {
    // Every test starts on a fresh data directory; the first-run guide has its own test.
    env: { ...env, ANCHORDESK_SKIP_FIRST_RUN: '1', ...extraEnv, ANCHORDESK_DATA_DIR: dataDir },
  });
  let lastError;
  // tauri-driver takes a moment before it accepts sessions: retry.
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const browser = await remote({
        hostname: '127.0.0.1',
        port,
        logLevel: 'silent',
        connectionRetryCount: 0,
        capabilities: { 'tauri:options': { application: APP_BIN, args: ['--data-dir', dataDir] } },
      });
      browser.driverProcess = driver;
      browser.dataDir = dataDir;
      browser.display = env.DISPLAY;
      return browser;
    } catch (err) {
      lastError = err;
      await sleep(200);
    }
  }
  throw new Error(`no WebDriver session: ${lastError}\n${driver.output}`);
}

/** Ends the session (the app quits) and stops its tauri-driver. */
export async function closeApp(browser) {
  try {
    await browser.deleteSession();
  } catch {
    // The app may already be gone; the driver is stopped below either way.
  }
  // The app must be gone before the next start on the same data directory (a second
  // instance would hand over to it and exit). Closing the session closes the window, which
  // ends the app; should it linger, it is stopped, then killed.
  const running = () => {
    try {
      return execFileSync('pgrep', ['-f', `anchordesk-app --data-dir ${browser.dataDir}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  for (const signal of [null, 'SIGTERM', 'SIGKILL']) {
    if (signal) for (const pid of running()) process.kill(Number(pid), signal);
    const deadline = Date.now() + 10000;
    while (running().length > 0 && Date.now() < deadline) await sleep(100);
    if (running().length === 0) break;
  }
  await stop(browser.driverProcess);
  const idx = children.indexOf(browser.driverProcess);
  if (idx >= 0) children.splice(idx, 1);
}

/** The display's pixels as a user sees them (the X server's, not WebKit's snapshot: with
 * compositing off on a machine without a GPU, WebKitWebDriver's snapshot of a page that
 * does not change never returns). The window fills the 1280×800 screen. */
export async function screenshot(browser, name) {
  await sleep(500);
  execFileSync('import', ['-display', browser.display, '-window', 'root', path.join(SHOTS, `${name}.png`)], { timeout: 20000 });
}

export { freePort, sleep, start, stop, waitFor };

/** The element with `data-testid="id"`. */
export const byTestId = (browser, id) => browser.$(`[data-testid="${id}"]`);

/**
 * Waits until no element with `data-testid=id` is in the page. Asked inside the page:
 * a WebDriver element handle found just as Svelte removes the node is stale.
 */
export async function waitGone(browser, id, timeout = 10000) {
  await browser.waitUntil(
    async () => browser.execute((testId) => document.querySelector(`[data-testid="${testId}"]`) === null, id),
    { timeout, timeoutMsg: `${id} is still shown` },
  );
}

/** Waits until the text of `selector` contains `text`. */
export async function waitForText(browser, selector, text, timeout = 15000) {
  await browser.waitUntil(async () => (await browser.$(selector).getText()).includes(text), {
    timeout,
    timeoutMsg: `"${text}" did not appear in ${selector}`,
  });
}
