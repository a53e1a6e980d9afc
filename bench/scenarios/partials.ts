import { lastValueFrom, reduce } from 'rxjs';
import { FuncXClient, FuncXExecutor } from 'funcx-rx';
import { startLocalService } from 'funcx-rx/service';
import { progress } from '../support/progress.js';
import type { Row } from '../support/report.js';
import { repeat, summary } from '../support/stats.js';

const VALUES = 50_000;

function* count(n: number): Generator<number, number> {
  let sum = 0;
  for (let i = 1; i <= n; i++) {
    sum += i;
    yield i;
  }
  return sum;
}
const noop = (x: number): number => x * 2;

/** Values a second from one generator task: every partial received, in order, by the task's Observable. */
async function partialRate(workers: number): Promise<number> {
  const local = await startLocalService({ workers });
  try {
    const fxc = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true });
    const functionId = await fxc.registerFunction(count);
    await fxc.run({ functionId, endpointId: local.endpointId }, 10); // warms a worker and the socket
    const start = performance.now();
    const task = fxc.run({ functionId, endpointId: local.endpointId }, VALUES);
    const last = await lastValueFrom(task.pipe(reduce((prev, value) => {
      if (value !== prev + 1) throw new Error(`partial ${value} came after ${prev}`);
      return value;
    }, 0)));
    const seconds = (performance.now() - start) / 1000;
    if (last !== VALUES || (await task) !== (VALUES * (VALUES + 1)) / 2) throw new Error(`the generator's stream ended at ${last}`);
    return VALUES / seconds;
  } finally {
    await local.stop();
  }
}

/** The same number of values as one task each, through the batching executor. */
async function taskRate(workers: number): Promise<number> {
  const local = await startLocalService({ workers });
  try {
    const fx = new FuncXExecutor(new FuncXClient({ serviceUrl: local.url, token: local.token }), { endpointId: local.endpointId, batchInterval: 10, batchSize: 2000 });
    await Promise.all(Array.from({ length: 2000 }, (_, i) => fx.submit(noop, i)));
    const start = performance.now();
    const futures = Array.from({ length: VALUES }, (_, i) => fx.submit(noop, i));
    for (const future of futures) await future;
    const seconds = (performance.now() - start) / 1000;
    await fx.shutdown();
    return VALUES / seconds;
  } finally {
    await local.stop();
  }
}

/**
 * Issue 22's streaming scenario: how fast one generator's partial results reach the client,
 * beside the same count of values sent as one task each (the executor's batched path), in the
 * same run.
 *
 * @param repeats - runs of each (at least 5)
 * @param workers - the endpoint's workers
 * @returns the rows
 */
export async function partials(repeats: number, workers: number): Promise<Row[]> {
  progress(`partials: one generator of ${VALUES} values, and ${VALUES} one-value tasks, ${repeats} runs each`);
  const streamed = summary(await repeat(repeats, () => partialRate(workers)));
  const tasks = summary(await repeat(repeats, () => taskRate(workers)));
  return [{
    scenario: `14 streaming results (W=${workers})`,
    metric: `partials of one generator, ${VALUES} values`,
    value: streamed.median,
    unit: 'values/s',
    baseline: { name: `one task per value, executor (${tasks.range})`, value: tasks.median },
    note: streamed.range,
  }];
}
