// Memory of the release app on the live console over a long rehearsal, against a bare
// Tauri 2 window idle on the same display, in one run (issue 18's live-console goal and
// leak check). Run by scripts/bench-live-footprint.sh, which builds both binaries:
//
//   ANCHORDESK_APP_BIN=target/release/anchordesk-app BARE_BIN=... node scripts/bench-live-footprint.mjs MINUTES
//
// The app is driven through WebDriver as a user would: a broadcast with three products,
// the checklist ticked, "rehearse" (the test source recorded, the preview on screen). Every
// 30 s it sums RSS and PSS over the app's process tree (the app, WebKitWebProcess,
// WebKitNetworkProcess; from /proc/PID/smaps_rollup). It prints each sample, the ratio of
// the tree's PSS at 10 minutes (or at the end of a shorter run) to the bare window's idle
// PSS, and the least-squares slope of RSS over the second half of the run (MB per minute;
// ~0 when nothing leaks).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { byTestId, closeApp, openApp, sleep, startDisplay, stopAll, tempDir } from '../tests/e2e/harness.mjs';
import { rehearse } from '../tests/e2e/flows.mjs';

const minutes = Number(process.argv[2] ?? 10);
const SAMPLE_MS = 30_000;
const bareBin = process.env.BARE_BIN;
if (!bareBin) throw new Error('BARE_BIN is not set (scripts/bench-live-footprint.sh sets it)');

function children(pid) {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
const tree = (pid) => [pid, ...children(pid).flatMap(tree)];

function footprint(pid) {
  let rss = 0;
  let pss = 0;
  const parts = [];
  const pids = tree(pid);
  for (const p of pids) {
    try {
      const rollup = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      const name = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      const own = Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      pss += own;
      parts.push(`${name} ${(own / 1024).toFixed(0)}`);
    } catch {
      // The process ended between listing and reading.
    }
  }
  return { rss: rss / 1024, pss: pss / 1024, processes: pids.length, parts: parts.join(', ') };
}

function slope(points) {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const sxy = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const sxx = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

const env = await startDisplay();
try {
  // The bare window, idle for 10 s.
  const bare = spawn(bareBin, [], { env, stdio: 'ignore', detached: true });
  await sleep(10_000);
  const bareFp = footprint(bare.pid);
  for (const p of tree(bare.pid).reverse()) process.kill(p, 'SIGTERM');
  await new Promise((resolve) => (bare.exitCode !== null ? resolve() : bare.on('exit', resolve)));
  await sleep(1_000);
  console.log(`bare window idle: RSS ${bareFp.rss.toFixed(0)} MB, PSS ${bareFp.pss.toFixed(0)} MB over ${bareFp.processes} processes`);

  const dataDir = tempDir('anchordesk-bench-live-');
  const browser = await openApp(env, dataDir);
  await rehearse(browser);
  const appPid = Number(execFileSync('pgrep', ['-f', `anchordesk-app --data-dir ${dataDir}`], { encoding: 'utf8' }).trim().split('\n')[0]);
  const started = Date.now();
  const samples = [];
  for (;;) {
    const elapsedMin = (Date.now() - started) / 60_000;
    const fp = footprint(appPid);
    samples.push([elapsedMin, fp.rss, fp.pss]);
    console.log(`live ${elapsedMin.toFixed(1)} min: RSS ${fp.rss.toFixed(0)} MB, PSS ${fp.pss.toFixed(0)} MB (PSS: ${fp.parts})`);
    if (elapsedMin >= minutes) break;
    await sleep(Math.min(SAMPLE_MS, (minutes - elapsedMin) * 60_000 + 50));
  }
  // Still live at the end: the console answers and the broadcast stops cleanly.
  await (await byTestId(browser, 'live-stop')).click();
  await closeApp(browser);

  const atTen = samples.find((s) => s[0] >= Math.min(10, minutes)) ?? samples.at(-1);
  const secondHalf = samples.filter((s) => s[0] >= minutes / 2);
  console.log(`live console at ${atTen[0].toFixed(1)} min: PSS ${atTen[2].toFixed(0)} MB = ${(atTen[2] / bareFp.pss).toFixed(2)}x the bare window, RSS ${(atTen[1] / bareFp.rss).toFixed(2)}x`);
  console.log(`RSS slope over the second half (${secondHalf.length} samples): ${slope(secondHalf.map((s) => [s[0], s[1]])).toFixed(2)} MB/min; PSS slope ${slope(secondHalf.map((s) => [s[0], s[2]])).toFixed(2)} MB/min`);
} finally {
  await stopAll();
}
