import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { v4 as uuidv4 } from 'uuid';
import { packPayload, serializeFunction } from '../../lib/serialize/serialize.js';
import { pack } from '../../lib/serialize/pack.js';
import { ask } from '../processes/ipc.js';
import { progress } from '../support/progress.js';
import type { Row } from '../support/report.js';
import { median, percentile } from '../support/stats.js';

const execArgv = ['--expose-gc', '--import', 'tsx'];
const SLOW_CONNECTIONS = 2000;
const EXPIRED_TASKS = 100_000;

interface Info {
  readonly url: string;
  readonly tokens: readonly string[];
  readonly endpointId: string;
}

async function withService<T>(options: object, work: (child: ChildProcess, info: Info) => Promise<T>): Promise<T> {
  const child = fork(new URL('../processes/stressService.ts', import.meta.url).pathname, [JSON.stringify(options)], { execArgv });
  try {
    return await work(child, await ask<Info>(child, 'info'));
  } finally {
    child.send('stop');
    await once(child, 'exit');
  }
}

function send(agent: Agent, url: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(`${url}${path}`, { method, agent, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(text ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (c: string) => (data += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** Answers per second for `ms` from 8 users hammering `GET /v2/authenticate`, by status. */
async function hammer(info: Info, ms: number): Promise<{ perSecond: number; byStatus: Record<number, number> }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const byStatus: Record<number, number> = {};
  const end = performance.now() + ms;
  const started = performance.now();
  await Promise.all(Array.from({ length: 32 }, async (_, i) => {
    while (performance.now() < end) {
      const { status } = await send(agent, info.url, 'GET', '/v2/authenticate', info.tokens[i % info.tokens.length]);
      byStatus[status] = (byStatus[status] ?? 0) + 1;
    }
  }));
  agent.destroy();
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return { perSecond: total / ((performance.now() - started) / 1000), byStatus };
}

/** Latencies of `n` health checks one after another, in milliseconds. */
async function healthLatencies(url: string, n: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const { status } = await send(agent, url, 'GET', '/v2/health', undefined);
    if (status !== 200) throw new Error(`health answered ${status}`);
    out.push(performance.now() - t);
  }
  agent.destroy();
  return out;
}

async function openSlowConnections(url: string, n: number): Promise<Socket[]> {
  const { hostname, port } = new URL(url);
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.on('error', () => {});
    sockets.push(socket);
    // Headers begun and never finished: the slow-loris pattern.
    socket.write('GET /v2/health HTTP/1.1\r\nHost: x\r\n');
  }
  await Promise.all(sockets.map((s) => (s.connecting ? once(s, 'connect') : Promise.resolve())));
  return sockets;
}

/**
 * Scenario 10 (hardening): the request rate the service holds with per-user rate limiting on, the
 * heap before and after 100,000 tasks that end and expire, and `/v2/health` latency while 2,000
 * slow-header connections are open. Each figure beside a baseline from the same run.
 */
export async function stress(): Promise<Row[]> {
  const rows: Row[] = [];

  progress('stress: request rate with and without per-user rate limiting (3 s each)');
  const unlimited = await withService({ rateLimit: false }, (_c, info) => hammer(info, 3000));
  const limited = await withService({ rateLimit: { max: 2000, windowMs: 10_000 } }, (_c, info) => hammer(info, 3000));
  rows.push({ scenario: '10 stress', metric: 'answers per second, rate limiting on (8 users, 32 connections)', value: limited.perSecond, unit: 'req/s', baseline: { name: 'rate limiting off', value: unlimited.perSecond }, note: `${limited.byStatus[200] ?? 0} × 200, ${limited.byStatus[429] ?? 0} × 429` });

  progress(`stress: heap before and after ${EXPIRED_TASKS.toLocaleString('en')} tasks that end and expire`);
  const heap = await withService({ rateLimit: false }, async (child, info) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const token = info.tokens[0]!;
    const fn = JSON.parse((await send(agent, info.url, 'POST', '/v2/functions', token, { function_name: 'f', function_code: pack([serializeFunction((x: number) => x)]) })).body).function_uuid as string;
    const before = await ask<number>(child, 'heap');
    const payload = packPayload([1]);
    for (let done = 0; done < EXPIRED_TASKS; done += 5000) {
      const ids = Array.from({ length: 5000 }, () => uuidv4());
      const answer = await send(agent, info.url, 'POST', '/v2/submit', token, { tasks: ids.map((id) => [fn, info.endpointId, payload, id]) });
      if (answer.status !== 200) throw new Error(`submit answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      const cancelled = await send(agent, info.url, 'POST', '/v2/cancel', token, { task_ids: ids });
      if (cancelled.status !== 200) throw new Error(`cancel answered ${cancelled.status}`);
    }
    const held = await ask<number>(child, 'heap');
    const swept = await ask<{ tasksDeleted: number }>(child, 'sweep');
    if (swept.tasksDeleted !== EXPIRED_TASKS) throw new Error(`expected ${EXPIRED_TASKS} deleted, got ${swept.tasksDeleted}`);
    const after = await ask<number>(child, 'heap');
    agent.destroy();
    return { before, held, after };
  });
  const mb = (bytes: number): number => bytes / 1024 / 1024;
  rows.push({ scenario: '10 stress', metric: `heap with ${EXPIRED_TASKS.toLocaleString('en')} ended tasks retained`, value: mb(heap.held), unit: 'MB', baseline: { name: 'before', value: mb(heap.before) } });
  rows.push({ scenario: '10 stress', metric: 'heap after they expired', value: mb(heap.after), unit: 'MB', baseline: { name: 'before', value: mb(heap.before) }, target: { text: 'back to baseline (≤ +2 MB)', met: heap.after - heap.before <= 2 * 1024 * 1024 } });

  progress(`stress: /v2/health latency with ${SLOW_CONNECTIONS} slow-header connections open`);
  const health = await withService({ rateLimit: false, headersTimeoutMs: 60_000 }, async (_c, info) => {
    await healthLatencies(info.url, 200); // warm-up, not measured
    const quiet = await healthLatencies(info.url, 300);
    const sockets = await openSlowConnections(info.url, SLOW_CONNECTIONS);
    const loaded = await healthLatencies(info.url, 300);
    const stillOpen = sockets.filter((s) => !s.destroyed).length;
    for (const s of sockets) s.destroy();
    return { quiet, loaded, stillOpen };
  });
  rows.push({ scenario: '10 stress', metric: `/v2/health p50 with ${SLOW_CONNECTIONS} slow-header connections`, value: median(health.loaded), unit: 'ms', baseline: { name: 'no slow connections', value: median(health.quiet) }, note: `${health.stillOpen} still open while measured` });
  rows.push({ scenario: '10 stress', metric: `/v2/health p99 with ${SLOW_CONNECTIONS} slow-header connections`, value: percentile(health.loaded, 99), unit: 'ms', baseline: { name: 'no slow connections', value: percentile(health.quiet, 99) } });
  return rows;
}
