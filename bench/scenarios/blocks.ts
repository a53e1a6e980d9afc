import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FuncXClient } from 'funcx-rx';
import { Endpoint, FuncXService, type ClusterEngine, type ClusterOptions } from 'funcx-rx/service';
import { progress } from '../support/progress.js';
import type { Row } from '../support/report.js';
import { median, repeat } from '../support/stats.js';

/** Workers of the in-process pool and of each block: the same, so only the path differs. */
const WORKERS = 2;
const TASKS = 2000;
const double = (x: number): number => x * 2;

/** One endpoint (the local engine, or blocks of local managers) behind one service, for the length of `work`. */
async function withEndpoint<T>(cluster: ClusterOptions | undefined, work: (fxc: FuncXClient<true>, endpointId: string, endpoint: Endpoint) => Promise<T>): Promise<T> {
  const service = await FuncXService.start();
  const runDir = await mkdtemp(join(tmpdir(), 'funcx-rx-bench-blocks-'));
  try {
    const { userId, token } = await service.issueToken();
    const { endpointId, secret } = await service.registerEndpoint(userId);
    const endpoint = await Endpoint.start({ serviceUrl: service.url, endpointId, secret, workers: WORKERS, ...(cluster ? { cluster: { ...cluster, runDir } } : {}) });
    const fxc = new FuncXClient({ serviceUrl: service.url, token, asynchronous: true });
    try {
      return await work(fxc, endpointId, endpoint);
    } finally {
      await fxc.close();
      await endpoint.close();
    }
  } finally {
    await service.close();
    await rm(runDir, { recursive: true, force: true });
  }
}

/** Tasks per second for TASKS tasks once every block runs, after a warm-up batch. */
async function throughputOf(cluster: ClusterOptions | undefined, blocks: number): Promise<number> {
  return withEndpoint(cluster, async (fxc, endpointId, endpoint) => {
    const functionId = await fxc.registerFunction(double);
    if (cluster) {
      const engine = endpoint.engine as ClusterEngine;
      // Blocks asked for at start (init_blocks); wait for their managers.
      while (engine.report().blocks.running < blocks) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await Promise.all(Array.from({ length: 200 }, (_, i) => fxc.run({ functionId, endpointId }, i)));
    const start = performance.now();
    await Promise.all(Array.from({ length: TASKS }, (_, i) => fxc.run({ functionId, endpointId }, i)));
    return TASKS / ((performance.now() - start) / 1000);
  });
}

const localBlocks = (blocks: number): ClusterOptions => ({ provider: { type: 'local', initBlocks: blocks, minBlocks: blocks, maxBlocks: blocks }, workersPerNode: WORKERS, pythonWorkersPerNode: 1 });

/**
 * Scenario 11: the cluster engine on local blocks. Time to first result from 0 blocks (the block
 * asked for, its manager started and connected), beside a task on the warm block; and throughput
 * with 1 and 2 blocks of 2 workers against the in-process pool of 2 workers, in one run.
 */
export async function blocks(runs = 3): Promise<Row[]> {
  progress(`blocks: cold start from 0 blocks, ${runs} runs`);
  const starts = await repeat(runs, () =>
    withEndpoint({ provider: { type: 'local', minBlocks: 0, maxBlocks: 1 }, workersPerNode: WORKERS, pythonWorkersPerNode: 1 }, async (fxc, endpointId) => {
      const functionId = await fxc.registerFunction(double);
      let t = performance.now();
      await fxc.run({ functionId, endpointId }, 1);
      const cold = performance.now() - t;
      t = performance.now();
      await fxc.run({ functionId, endpointId }, 2);
      return { cold, warm: performance.now() - t };
    }),
  );
  const rows: Row[] = [
    {
      scenario: '12 blocks',
      metric: 'time to first result from 0 blocks (cold start)',
      value: median(starts.map((s) => s.cold)),
      unit: 'ms',
      baseline: { name: 'the next task, block warm', value: median(starts.map((s) => s.warm)) },
      target: { text: '≤ 3 s', met: median(starts.map((s) => s.cold)) <= 3000 },
    },
  ];
  progress(`blocks: throughput of ${TASKS} tasks, in-process pool and 1 and 2 local blocks of ${WORKERS} workers, ${runs} runs each`);
  const pool = median(await repeat(runs, () => throughputOf(undefined, 0)));
  const one = median(await repeat(runs, () => throughputOf(localBlocks(1), 1)));
  const two = median(await repeat(runs, () => throughputOf(localBlocks(2), 2)));
  const baseline = { name: `in-process pool, ${WORKERS} workers`, value: pool };
  rows.push(
    { scenario: '12 blocks', metric: `throughput, in-process pool (${WORKERS} workers)`, value: pool, unit: 'tasks/s' },
    { scenario: '12 blocks', metric: `throughput, 1 local block (${WORKERS} workers)`, value: one, unit: 'tasks/s', baseline },
    { scenario: '12 blocks', metric: `throughput, 2 local blocks (${2 * WORKERS} workers)`, value: two, unit: 'tasks/s', baseline },
  );
  return rows;
}
