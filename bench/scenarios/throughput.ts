import { FuncXClient, FuncXExecutor, TaskPending } from 'funcx-rx';
import { Endpoint, FuncXService, startLocalService, WorkerPool } from 'funcx-rx/service';
import { pack } from '../../lib/serialize/pack.js';
import { packPayload, serializeFunction } from '../../lib/serialize/serialize.js';
import { runDask } from '../support/dask.js';
import { progress } from '../support/progress.js';
import type { Row } from '../support/report.js';
import { median, repeat, summary } from '../support/stats.js';

const TASKS = 20_000;
const POLLING_TASKS = 2_000;
const noop = (x: number): number => x * 2;

/** What a run turns off, to show each change's effect in the same run. */
interface Variant {
  /** The endpoint's micro-batches (one task per worker message when off). */
  readonly microBatch?: boolean;
  /** The endpoint in the service's own process and thread, as before it had a process of its own. */
  readonly inlineEndpoint?: boolean;
}

/** A service and its endpoint for one run: startLocalService, or both in this process for `inlineEndpoint`. */
async function setUp(workers: number, variant: Variant): Promise<{ url: string; token: string; endpointId: string; service: FuncXService; stop(): Promise<void> }> {
  if (!variant.inlineEndpoint) {
    return startLocalService({ workers, ...(variant.microBatch === undefined ? {} : { microBatch: variant.microBatch }) });
  }
  const service = await FuncXService.start({ port: 0 });
  const { userId, token } = await service.issueToken();
  const { endpointId, secret } = await service.registerEndpoint(userId, { name: 'inline' });
  const endpoint = await Endpoint.start({ serviceUrl: service.url, endpointId, secret, workers });
  return { url: service.url, token, endpointId, service, stop: async () => { await endpoint.close(); await service.close(); } };
}

/** Executor, batched, every future resolved; samples the result-socket count as it goes. */
async function executorRate(workers: number, variant: Variant = {}): Promise<{ rate: number; peakSockets: number; finalSockets: number }> {
  const local = await setUp(workers, variant);
  try {
    const fx = new FuncXExecutor(new FuncXClient({ serviceUrl: local.url, token: local.token }), { endpointId: local.endpointId, batchInterval: 10, batchSize: 2000 });
    await Promise.all(Array.from({ length: 2000 }, (_, i) => fx.submit(noop, i))); // registers the function, warms the workers and the JIT
    // The warm-up's socket closes once it settles; the measured run starts when it has.
    while ((await local.service.stats()).result_websockets_open > 0) await new Promise((r) => setTimeout(r, 5));
    let peakSockets = 0;
    const sampler = setInterval(() => void local.service.stats().then((s) => (peakSockets = Math.max(peakSockets, s.result_websockets_open))), 2);
    const start = performance.now();
    const futures = Array.from({ length: TASKS }, (_, i) => fx.submit(noop, i));
    for (const future of futures) await future;
    const seconds = (performance.now() - start) / 1000;
    clearInterval(sampler);
    await fx.shutdown();
    for (let i = 0; i < 100 && (await local.service.stats()).result_websockets_open > 0; i++) await new Promise((r) => setTimeout(r, 10));
    return { rate: TASKS / seconds, peakSockets, finalSockets: (await local.service.stats()).result_websockets_open };
  } finally {
    await local.stop();
  }
}

/**
 * The same tasks straight into the endpoint's worker pool, one `run` per task: the raw pool, the
 * issue's baseline. With `batch`, in micro-batches of that many per worker message instead.
 */
async function poolRate(workers: number, batch = 1): Promise<number> {
  const pool = new WorkerPool({ workers });
  try {
    const functionCode = pack([serializeFunction(noop)]);
    await pool.run({ functionId: 'noop', functionCode, payload: packPayload([0]) });
    const start = performance.now();
    if (batch === 1) {
      await Promise.all(Array.from({ length: TASKS }, (_, i) => pool.run({ functionId: 'noop', functionCode, payload: packPayload([i]) })));
    } else {
      const runs = [];
      for (let first = 0; first < TASKS; first += batch) {
        const tasks = Array.from({ length: Math.min(batch, TASKS - first) }, (_, i) => ({ functionId: 'noop', functionCode, payload: packPayload([first + i]) }));
        runs.push(pool.runBatch(tasks, { onOutcome: () => {} }).done);
      }
      await Promise.all(runs);
    }
    return TASKS / ((performance.now() - start) / 1000);
  } finally {
    await pool.close();
  }
}

/** funcX's existing model: `run`, then `getResult` until it is there, for every task. */
async function pollingRate(workers: number): Promise<number> {
  // Polling asks far more often than the default per-user rate limit allows: the baseline is the model, not the limit.
  const local = await startLocalService({ workers, rateLimit: false });
  try {
    const fxc = new FuncXClient({ serviceUrl: local.url, token: local.token });
    const functionId = await fxc.registerFunction(noop);
    const start = performance.now();
    const taskIds = await Promise.all(Array.from({ length: POLLING_TASKS }, (_, i) => fxc.run({ functionId, endpointId: local.endpointId }, i)));
    await Promise.all(
      taskIds.map(async (taskId) => {
        for (;;) {
          try {
            return await fxc.getResult(taskId);
          } catch (error) {
            if (!(error instanceof TaskPending)) throw error;
            await new Promise((r) => setTimeout(r, 10));
          }
        }
      }),
    );
    return POLLING_TASKS / ((performance.now() - start) / 1000);
  } finally {
    await local.stop();
  }
}

/** Dask distributed on this machine, the same no-op on the same worker count. */
function daskRate(workers: number, repeats: number): { rate: number; version: string } | string {
  const result = runDask<{ tasks_per_second: number[]; version: string }>('dask_noop.py', [String(TASKS), String(workers), String(repeats)]);
  return typeof result === 'string' ? result : { rate: median(result.tasks_per_second), version: result.version };
}

/** Scenarios 2 (throughput, with each change's effect) and 5 (connections during it). */
export async function throughput(repeats: number, workers: number): Promise<Row[]> {
  progress(`throughput: ${TASKS} no-op tasks, W=${workers}, ${repeats} runs per path`);
  const scenario = `2 throughput (W=${workers})`;
  const runs = await repeat(repeats, () => executorRate(workers));
  const executor = summary(runs.map((r) => r.rate));
  const rate = executor.median;
  const pool = summary(await repeat(repeats, () => poolRate(workers)));
  const batchedPool = summary(await repeat(repeats, () => poolRate(workers, 32)));
  progress('throughput: each change turned off in turn');
  const rateOf = async (variant: Variant) => summary((await repeat(repeats, () => executorRate(workers, variant))).map((r) => r.rate));
  const withoutMicroBatch = await rateOf({ microBatch: false });
  const inline = await rateOf({ inlineEndpoint: true });
  const allOff = await rateOf({ microBatch: false, inlineEndpoint: true });
  progress('throughput: polling model');
  const polling = summary(await repeat(repeats, () => pollingRate(workers)));
  // Each switch must pay for itself in every run (issue 23): its median above the median without it.
  const effect = (metric: string, name: string, without: { median: number; range: string }): Row => ({
    scenario, metric, value: rate, unit: 'tasks/s', baseline: { name, value: without.median }, note: `without: ${without.range}`, target: { text: '> 1×', met: rate > without.median },
  });
  progress('throughput: Dask');
  const dask = daskRate(workers, repeats);
  const rows: Row[] = [
    { scenario, metric: 'executor, end to end', value: rate, unit: 'tasks/s', note: executor.range },
    { scenario, metric: 'executor vs pool', value: rate, unit: 'tasks/s', baseline: { name: 'worker pool alone, one run() per task', value: pool.median }, note: `pool: ${pool.range}`, target: { text: '≥ 0.9× the pool', met: rate >= 0.9 * pool.median } },
    { scenario, metric: 'executor vs micro-batched pool', value: rate, unit: 'tasks/s', baseline: { name: 'worker pool alone, 32 tasks per message', value: batchedPool.median }, note: `pool: ${batchedPool.range}`, target: { text: '≥ 0.35× the micro-batched pool', met: rate >= 0.35 * batchedPool.median } },
    effect('effect of micro-batches (endpoint)', 'micro-batches off', withoutMicroBatch),
    // Not a speed-up but isolation (user code out of the service's memory): its cost, with no target.
    { scenario, metric: 'cost of the endpoint\'s own process (isolation)', value: rate, unit: 'tasks/s', baseline: { name: 'endpoint in the service\'s thread', value: inline.median }, note: `in the thread: ${inline.range}` },
    { scenario, metric: 'micro-batches and the own process together', value: rate, unit: 'tasks/s', baseline: { name: 'both off', value: allOff.median }, note: `both off: ${allOff.range}` },
    { scenario, metric: 'executor vs polling', value: rate, unit: 'tasks/s', baseline: { name: `polling model (${POLLING_TASKS} tasks)`, value: polling.median }, note: `polling: ${polling.range}` },
  ];
  if (typeof dask === 'string') rows.push({ scenario, metric: 'executor vs Dask', value: rate, unit: 'tasks/s', note: dask });
  else rows.push({ scenario, metric: 'executor vs Dask', value: rate, unit: 'tasks/s', baseline: { name: `Dask ${dask.version} LocalCluster`, value: dask.rate }, target: { text: '≥ 5× Dask', met: rate >= 5 * dask.rate } });
  const peak = Math.max(...runs.map((r) => r.peakSockets));
  const final = Math.max(...runs.map((r) => r.finalSockets));
  rows.push({ scenario: '5 connections', metric: 'result sockets open at peak (during scenario 2)', value: peak, unit: 'sockets', target: { text: 'exactly 1', met: peak === 1 } });
  rows.push({ scenario: '5 connections', metric: 'result sockets open at the end', value: final, unit: 'sockets', target: { text: '0', met: final === 0 } });
  return rows;
}
