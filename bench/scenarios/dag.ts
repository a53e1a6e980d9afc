import { FuncXClient } from 'funcx-rx';
import { startLocalService } from 'funcx-rx/service';
import { runDask } from '../support/dask.js';
import { progress } from '../support/progress.js';
import type { Row } from '../support/report.js';
import { repeat, summary } from '../support/stats.js';

const DIAMONDS = 20;
const WIDTH = 50;
const TASKS = DIAMONDS * (WIDTH + 2);
const EXPECTED = 2 * WIDTH + (WIDTH * (WIDTH - 1)) / 2;

const double = (x: number): number => x * 2;
const add = (x: number, i: number): number => x + i;
function total(...xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/**
 * One run of the diamonds on the embedded service: each root's `AsyncTask` is the argument of
 * its `WIDTH` middles, and every middle's task an argument of the sink, so the values move on the
 * service, never through this client.
 */
async function once(workers: number): Promise<number> {
  const local = await startLocalService({ workers });
  try {
    const fxc = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true });
    const [doubleId, addId, totalId] = await Promise.all([fxc.registerFunction(double), fxc.registerFunction(add), fxc.registerFunction(total)]);
    const endpointId = local.endpointId;
    await fxc.run({ functionId: doubleId, endpointId }, 1); // warms the workers and the socket
    const start = performance.now();
    const sinks = Array.from({ length: DIAMONDS }, () => {
      const root = fxc.run({ functionId: doubleId, endpointId }, 1);
      const mids = Array.from({ length: WIDTH }, (_, i) => fxc.run({ functionId: addId, endpointId }, root, i));
      return fxc.run({ functionId: totalId, endpointId }, ...mids);
    });
    const results = await Promise.all(sinks);
    const seconds = (performance.now() - start) / 1000;
    if (results.some((r) => r !== EXPECTED)) throw new Error(`a diamond gave ${results.find((r) => r !== EXPECTED)}, not ${EXPECTED}`);
    return TASKS / seconds;
  } finally {
    await local.stop();
  }
}

/**
 * Issue 22's DAG scenario: `DIAMONDS` diamonds of a root, `WIDTH` middles that take the root's
 * task as an argument, and a sink that takes all the middles (a fan-in), on the embedded service
 * and on Dask distributed in the same run, the same worker count.
 *
 * @param repeats - runs of each (at least 5 for the figures)
 * @param workers - workers of each
 * @returns the rows
 */
export async function dag(repeats: number, workers: number): Promise<Row[]> {
  progress(`dag: ${DIAMONDS} diamonds of width ${WIDTH} (${TASKS} tasks), W=${workers}, ${repeats} runs`);
  const ours = summary(await repeat(repeats, () => once(workers)));
  progress('dag: Dask');
  const dask = runDask<{ tasks_per_second: number[]; version: string }>('dask_dag.py', [String(DIAMONDS), String(WIDTH), String(workers), String(repeats)]);
  const scenario = `13 task dependencies (W=${workers})`;
  const metric = `diamond DAGs, ${TASKS} tasks, fan-in of ${WIDTH}`;
  if (typeof dask === 'string') return [{ scenario, metric, value: ours.median, unit: 'tasks/s', note: `${ours.range}; ${dask}` }];
  const theirs = summary(dask.tasks_per_second);
  return [{
    scenario, metric, value: ours.median, unit: 'tasks/s',
    baseline: { name: `Dask ${dask.version} LocalCluster (${theirs.range})`, value: theirs.median },
    note: ours.range,
  }];
}
