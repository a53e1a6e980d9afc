import { FuncXClient, FuncXExecutor, python } from 'funcx-rx';
import { findPython, PythonPool, startLocalService, WorkerPool, type WorkerTask } from 'funcx-rx/service';
import { pack } from '../../lib/serialize/pack.js';
import { packPayload, serializeFunction, serializePythonSource } from '../../lib/serialize/serialize.js';
import { progress } from '../support/progress.js';
import { timeCancel } from './cancelLoop.js';
import type { Row } from '../support/report.js';
import { median, repeat, summary } from '../support/stats.js';

const POOL_TASKS = 5_000;
const SERVICE_TASKS = 5_000;
const jsNoop = (x: number): number => x * 2;
const pyNoop = python<(x: number) => number>`
  def noop(x):
      return x * 2
`;

/** Tasks a second through one worker of a pool, the tasks queued all at once. */
async function poolRate(pool: { run(task: WorkerTask): Promise<unknown>; close(): Promise<void> }, functionCode: string): Promise<number> {
  try {
    await pool.run({ functionId: 'noop', functionCode, payload: packPayload([0]) }); // starts the worker, loads the function
    const start = performance.now();
    await Promise.all(Array.from({ length: POOL_TASKS }, (_, i) => pool.run({ functionId: 'noop', functionCode, payload: packPayload([i]) })));
    return POOL_TASKS / ((performance.now() - start) / 1000);
  } finally {
    await pool.close();
  }
}

/** Executor, batched, through the embedded service, on `workers` workers of the function's language. */
async function serviceRate(fn: typeof jsNoop | typeof pyNoop, workers: number): Promise<number> {
  const local = await startLocalService({ workers });
  try {
    const fx = new FuncXExecutor(new FuncXClient({ serviceUrl: local.url, token: local.token }), { endpointId: local.endpointId, batchInterval: 10, batchSize: 2000 });
    // Warms every worker (Python processes start on first use).
    await Promise.all(Array.from({ length: workers * 2 }, () => fx.submit(fn, 0)));
    const start = performance.now();
    const futures = Array.from({ length: SERVICE_TASKS }, (_, i) => fx.submit(fn, i));
    for (const future of futures) await future;
    const seconds = (performance.now() - start) / 1000;
    await fx.shutdown();
    return SERVICE_TASKS / seconds;
  } finally {
    await local.stop();
  }
}

/** From `task.cancel()` on a running Python loop to the next Python task's result on the freed (only) worker. */
const cancelOnce = () =>
  timeCancel(async (fxc) => ({
    spin: await fxc.registerFunction(python<() => never>`
      def spin():
          while True:
              pass
    `),
    echo: await fxc.registerFunction(python<(x: string) => string>`def echo(x): return x`),
  }));

/**
 * Issue 12's figures: Python no-op throughput per worker process beside JavaScript's per worker
 * thread, the same through the service, and how soon cancelling a running Python loop frees its worker.
 */
export async function pythonWorkers(repeats: number, workers: number): Promise<Row[]> {
  const search = await findPython();
  if (search.runtime === null) {
    progress(`python: no CPython found (${search.tried.join('; ')}); skipped`);
    return [{ scenario: '9 python', metric: 'Python workers', value: Number.NaN, unit: '', note: `no CPython: ${search.tried.join('; ')}` }];
  }
  progress(`python: ${search.runtime.executable} ${search.runtime.version}; ${POOL_TASKS} no-ops per pool, ${SERVICE_TASKS} through the service, ${repeats} runs each`);
  const jsCode = pack([serializeFunction(jsNoop)]);
  const pyCode = pack([serializePythonSource(pyNoop.name, pyNoop.source)]);
  const runs = await repeat(repeats, async () => ({
    jsPool: await poolRate(new WorkerPool({ workers: 1 }), jsCode),
    pyPool: await poolRate(new PythonPool({ python: search, workers: 1 }), pyCode),
    jsService: await serviceRate(jsNoop, workers),
    pyService: await serviceRate(pyNoop, workers),
  }));
  const cancels = await repeat(repeats, cancelOnce);
  const freed = median(cancels.map((r) => r.freed));
  const pyPool = median(runs.map((r) => r.pyPool));
  const pyService = summary(runs.map((r) => r.pyService));
  const jsService = summary(runs.map((r) => r.jsService));
  return [
    {
      scenario: '9 python',
      metric: 'no-op tasks/s on one Python worker process (pool, no service)',
      value: pyPool,
      unit: 'tasks/s',
      baseline: { name: 'one JavaScript worker thread', value: median(runs.map((r) => r.jsPool)) },
      note: `CPython ${search.runtime.version}`,
    },
    {
      scenario: '9 python',
      metric: `no-op tasks/s through the service, executor, ${workers} Python worker processes`,
      value: pyService.median,
      unit: 'tasks/s',
      baseline: { name: `${workers} JavaScript worker threads`, value: jsService.median },
      note: `Python: ${pyService.range}; JavaScript: ${jsService.range}`,
      target: { text: '≥ 0.8× JavaScript', met: pyService.median >= 0.8 * jsService.median },
    },
    {
      scenario: '9 python',
      metric: 'cancel of a running Python loop → next Python task done on the freed worker',
      value: freed,
      unit: 'ms',
      baseline: { name: 'one Python task on an idle worker', value: median(cancels.map((r) => r.echo)) },
      target: { text: '≤ 1000 ms', met: freed <= 1000 },
    },
  ];
}
