// Driven by scripts/bench-team-load.sh (which starts PostgreSQL and creates the organisation):
// runs the team server, signs in DESKS desks, and has each make CHANGES catalog writes (20
// products per desk, each written CHANGES/20 times, every write with its own idempotency key
// and retried with the same key until acknowledged) while pulling the change feed. The server
// is killed with SIGKILL at a third and at two thirds of the acknowledged writes and started
// again. At the end every desk pulls to the end of the feed and must hold exactly the server's
// catalog; each product's version must equal the number of writes made to it (none lost, none
// applied twice), and the feed must hold one change per write.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

const DESKS = Number(process.argv[2] ?? 50);
const CHANGES = Number(process.argv[3] ?? 200);
const PRODUCTS = 20;
const { SERVER_BIN, DATABASE_URL, OWNER_EMAIL, OWNER_PASSWORD } = process.env;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const base = `http://127.0.0.1:${port}`;

// The server process: started, killed and started again; its CPU and peak memory read from
// /proc before each kill and at the end.
let server = null;
const usage = { cpuSeconds: 0, peakRssMb: 0, restarts: 0, peaks: [] };
function readUsage(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ticks = Number(stat[11]) + Number(stat[12]);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpu: ticks / 100, rss: hwm ? Number(hwm[1]) / 1024 : 0 };
  } catch {
    return { cpu: 0, rss: 0 };
  }
}
async function startServer() {
  server = spawn(SERVER_BIN, ['serve', '--database-url', DATABASE_URL, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'ignore'] });
  server.exited = new Promise((resolve) => server.on('exit', resolve));
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`${base}/api/v1/me`);
      if (r.status > 0) return;
    } catch {}
    await sleep(50);
  }
  throw new Error('the server did not start');
}
// Adds the running server's CPU time and peak memory to the run's.
function countUsage() {
  const u = readUsage(server.pid);
  usage.cpuSeconds += u.cpu;
  usage.peakRssMb = Math.max(usage.peakRssMb, u.rss);
  usage.peaks.push(u.rss.toFixed(0));
}
async function killServer() {
  countUsage();
  server.kill('SIGKILL');
  await server.exited;
}

async function api(method, path, token, body, headers = {}) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) {
    const err = new Error(`${method} ${path}: ${r.status} ${text}`);
    err.status = r.status;
    throw err;
  }
  return text ? JSON.parse(text) : null;
}

await startServer();
let session = await api('POST', '/api/v1/sign-in', null, { email: OWNER_EMAIL, password: OWNER_PASSWORD });
const org = session.member.orgId;
let password = OWNER_PASSWORD;
if (session.member.mustChangePassword) {
  password = 'load-test-password-42';
  await api('PUT', '/api/v1/password', session.token, { current: OWNER_PASSWORD, new: password });
}
const tokens = [];
for (let d = 0; d < DESKS; d++) tokens.push((await api('POST', '/api/v1/sign-in', null, { email: OWNER_EMAIL, password })).token);
console.error(`${DESKS} desks signed in; ${DESKS * CHANGES} writes to make`);

const writeMs = [];
const ackedAt = new Map(); // seq → time acknowledged
const seenMs = []; // propagation: acknowledged → first seen by desk 0's pull
let acked = 0;
let retries = 0;
const total = DESKS * CHANGES;
let killing = null;
const killAt = [Math.floor(total / 3), Math.floor((2 * total) / 3)];

async function withRetry(what) {
  for (;;) {
    if (killing) await killing;
    try {
      return await what();
    } catch (err) {
      if (err.status && err.status < 500) throw err;
      retries += 1;
      await sleep(100);
    }
  }
}

function makeDesk(d) {
  const local = new Map(); // sku → { version, body }
  let cursor = 0;
  let writing = true;
  const pullOnce = async () => {
    for (;;) {
      const page = await withRetry(() => api('GET', `/api/v1/orgs/${org}/changes?after=${cursor}`, tokens[d]));
      for (const c of page.changes) {
        if (c.entity !== 'product') continue;
        if (c.body == null) local.delete(c.key);
        else local.set(c.key, { version: c.version, body: c.body });
        if (d === 0 && ackedAt.has(c.seq)) seenMs.push(performance.now() - ackedAt.get(c.seq));
      }
      cursor = page.next;
      if (page.changes.length < 500) return;
    }
  };
  const puller = (async () => {
    while (writing) {
      await pullOnce();
      await sleep(250);
    }
  })();
  const writer = (async () => {
    for (let k = 0; k < CHANGES; k++) {
      const sku = `D${d}-P${k % PRODUCTS}`;
      const body = { name: `第${d}号台的第${k % PRODUCTS}件商品`, round: Math.floor(k / PRODUCTS), priceFen: 1000 + k };
      const started = performance.now();
      const written = await withRetry(() => api('PUT', `/api/v1/orgs/${org}/products/${sku}`, tokens[d], { body }, { 'idempotency-key': `load-${d}-${k}` }));
      const now = performance.now();
      writeMs.push(now - started);
      ackedAt.set(written.seq, now);
      acked += 1;
      if (killAt.length > 0 && acked >= killAt[0] && !killing) {
        killAt.shift();
        killing = (async () => {
          await killServer();
          usage.restarts += 1;
          await sleep(1000);
          await startServer();
          killing = null;
        })();
      }
    }
  })();
  return {
    done: writer.then(async () => {
      writing = false;
      await puller;
    }),
    finalPull: pullOnce,
    local,
  };
}

const started = performance.now();
const desks = Array.from({ length: DESKS }, (_, d) => makeDesk(d));
await Promise.all(desks.map((desk) => desk.done));
if (killing) await killing;
await Promise.all(desks.map((desk) => desk.finalPull()));
const wall = (performance.now() - started) / 1000;

// The server's truth, and every desk against it.
const truth = await api('GET', `/api/v1/orgs/${org}/products`, tokens[0]);
const perProduct = CHANGES / PRODUCTS;
const expected = DESKS * PRODUCTS;
const lost = expected - truth.length + truth.filter((p) => p.body.round !== perProduct - 1).length;
const duplicated = truth.filter((p) => p.version !== perProduct).length;
let feed = 0;
for (let after = 0; ; ) {
  const page = await api('GET', `/api/v1/orgs/${org}/changes?after=${after}`, tokens[0]);
  feed += page.changes.filter((c) => c.entity === 'product').length;
  if (page.changes.length < 500) break;
  after = page.next;
}
const diverged = desks.filter((desk) => truth.length !== desk.local.size || truth.some((p) => desk.local.get(p.sku)?.version !== p.version)).length;
countUsage();
server.kill('SIGTERM');
await server.exited;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
console.log(`${DESKS} desks × ${CHANGES} writes = ${total} in ${wall.toFixed(1)} s (${(total / wall).toFixed(0)} writes/s), server killed ${usage.restarts} times, ${retries} retried requests`);
console.log(`products ${truth.length}/${expected}; lost ${lost}, applied twice ${duplicated}; change feed ${feed} for ${total} writes; desks not converged ${diverged}/${DESKS}`);
console.log(`write latency p50 ${pct(writeMs, 50).toFixed(1)} ms, p99 ${pct(writeMs, 99).toFixed(1)} ms (from first try to acknowledgement, outages included)`);
console.log(`seen by another desk p50 ${pct(seenMs, 50).toFixed(0)} ms, p99 ${pct(seenMs, 99).toFixed(0)} ms (pulling every 250 ms)`);
console.log(`server: ${usage.cpuSeconds.toFixed(1)} s of CPU over its three runs, peak RSS ${usage.peakRssMb.toFixed(0)} MB (each run: ${usage.peaks.join(' / ')} MB; the first also signed the desks in)`);
process.exit(lost === 0 && duplicated === 0 && feed === total && diverged === 0 ? 0 : 1);
