import { FuncXClient, TaskPending } from 'funcx-rx';
import { startLocalService, WorkerPool } from 'funcx-rx/service';
import { pack } from '../../lib/serialize/pack.js';
import { packPayload, serializeFunction } from '../../lib/serialize/serialize.js';
import { progress } from '../support/progress.js';
import type { Row } from '../support/report.js';
import { percentile } from '../support/stats.js';

const ROUND_TRIPS = 500;
/** Round trips before measuring, on every path alike: steady state, after the JIT has compiled the hot paths. */
const WARM_UP = 500;
const noop = (x: number): number => x * 2;

async function timeEach(n: number, once: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARM_UP; i++) await once(i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await once(i);
    out.push(performance.now() - start);
  }
  return out;
}

/** Issue 23's goals per path, in ms: p50 and p99 (none where the issue sets none). */
interface Goals {
  readonly p50?: number;
  readonly p99?: number;
}

function rows(scenario: string, path: string, samples: number[], floor: number[], goals: Goals): Row[] {
  const p50 = percentile(samples, 50);
  const p99 = percentile(samples, 99);
  const target = (goal: number | undefined, value: number) => (goal === undefined ? {} : { target: { text: `≤ ${goal} ms`, met: value <= goal } });
  return [
    { scenario, metric: `${path} p50`, value: p50, unit: 'ms', baseline: { name: 'pool p50', value: percentile(floor, 50) }, ...target(goals.p50, p50) },
    { scenario, metric: `${path} p99`, value: p99, unit: 'ms', baseline: { name: 'pool p99', value: percentile(floor, 99) }, ...target(goals.p99, p99) },
    { scenario, metric: `${path} max`, value: Math.max(...samples), unit: 'ms', baseline: { name: 'pool max', value: Math.max(...floor) } },
  ];
}

/** Scenario 3: one task at a time, batching off: WebSocket path, polling path, and the pool as the floor. */
export async function latency(): Promise<Row[]> {
  progress(`latency: ${ROUND_TRIPS} round trips per path after ${WARM_UP} warm-up ones`);
  const pool = new WorkerPool({ workers: 1 });
  const functionCode = pack([serializeFunction(noop)]);
  const floor = await timeEach(ROUND_TRIPS, (i) => pool.run({ functionId: 'noop', functionCode, payload: packPayload([i]) }));
  await pool.close();

  // The polling path asks far more often than the default per-user rate limit allows.
  const local = await startLocalService({ workers: 1, rateLimit: false });
  try {
    // One task at a time: with the default (no linger) every task opens and closes a socket.
    const closing = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true, batchInterval: 0 });
    const lingering = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true, batchInterval: 0, socketLingerMs: 1000 });
    const functionId = await closing.registerFunction(noop);
    const target = { functionId, endpointId: local.endpointId };
    const wsClosing = await timeEach(ROUND_TRIPS, (i) => Promise.resolve(closing.run(target, i)));
    const ws = await timeEach(ROUND_TRIPS, (i) => Promise.resolve(lingering.run(target, i)));
    const polling = new FuncXClient({ serviceUrl: local.url, token: local.token });
    const poll = await timeEach(ROUND_TRIPS, async (i) => {
      const taskId = await polling.run(target, i);
      for (;;) {
        try {
          return await polling.getResult(taskId);
        } catch (error) {
          if (!(error instanceof TaskPending)) throw error;
          await new Promise((r) => setImmediate(r));
        }
      }
    });
    return [
      ...rows('3 latency', 'WebSocket path (socketLingerMs 1000)', ws, floor, { p50: 0.8, p99: 3 }),
      ...rows('3 latency', 'WebSocket path (default: socket per task)', wsClosing, floor, { p50: 1.5 }),
      ...rows('3 latency', 'polling path', poll, floor, {}),
    ];
  } finally {
    await local.stop();
  }
}
