import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkerPool } from '../../lib/endpoint/WorkerPool.js';
import type { BatchTask } from '../../lib/endpoint/WorkerBatchRun.js';
import type { WorkerOutcome } from '../../lib/endpoint/worker.js';
import { pack } from '../../lib/serialize/pack.js';
import { deserialize, deserializeError, packPayload, serializeFunction } from '../../lib/serialize/serialize.js';

let nextId = 0;
const fn = (f: (...args: never[]) => unknown) => ({ functionId: `b${nextId++}`, functionCode: pack([serializeFunction(f)]) });
const task = (f: { functionId: string; functionCode: string }, args: unknown[], timeoutMs?: number): BatchTask => ({ ...f, payload: packPayload(args), timeoutMs });
const describeOutcome = (outcome: WorkerOutcome | undefined): unknown => {
  if (outcome === undefined) return 'none';
  if ('result' in outcome) return deserialize(outcome.result);
  return `${deserializeError(outcome.exception).name}`;
};

/** Runs a batch and collects each index's outcomes (more than one would be a bug). */
function collect(pool: WorkerPool, tasks: BatchTask[]) {
  const outcomes = new Map<number, WorkerOutcome[]>();
  const run = pool.runBatch(tasks, { onOutcome: (i, outcome) => outcomes.set(i, [...(outcomes.get(i) ?? []), outcome]) });
  const summary = () => tasks.map((_, i) => {
    const got = outcomes.get(i) ?? [];
    assert.ok(got.length <= 1, `task ${i} reported ${got.length} times`);
    return describeOutcome(got[0]);
  });
  return { run, outcomes, summary };
}

// Each task appends its index to a file: what ran, and how often, seen from outside the pool.
const logged = fn(async (path: string, i: number, spin: boolean) => {
  const fs = await import('node:fs');
  fs.appendFileSync(path, `${i}\n`);
  if (spin) for (;;) { /* until stopped */ }
  return i;
});
// Meets the other tasks of its round on a BroadcastChannel: it ends once it has heard from all of
// them. Whoever joins tells the others, and each answers it once, so all hear all.
const meeting = fn(async (workers: number, round: string) => {
  const { BroadcastChannel } = await import('node:worker_threads');
  const channel = new BroadcastChannel(round);
  const me = Math.random();
  const heard = new Set<unknown>();
  await new Promise<void>((resolve) => {
    channel.onmessage = (event) => {
      const other: unknown = event.data;
      if (!heard.has(other)) {
        heard.add(other);
        channel.postMessage(me);
      }
      if (heard.size >= workers - 1) resolve();
    };
    channel.postMessage(me);
    if (workers === 1) resolve();
  });
  channel.close();
  return true;
});
let rounds = 0;
/**
 * Resolves once every worker has ended what it ran before and the pool has had its answer: one
 * task per worker, each waiting for all the others (so each is on a worker of its own, and no
 * worker is still on an earlier task). piscina keeps a worker's port referenced while a task is
 * out, and a batch's own port closes within a turn of the event loop once its part ends.
 */
const everyWorkerIdle = async (pool: WorkerPool): Promise<void> => {
  const round = `workerBatch.spec idle ${rounds++}`;
  const outcomes = await Promise.all(Array.from({ length: pool.size }, () => pool.run(task(meeting, [pool.size, round]))));
  assert.deepEqual(outcomes.map(describeOutcome), outcomes.map(() => true), 'every worker met the others');
};
const ran = async (path: string): Promise<number[]> => (await readFile(path, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);

describe('WorkerPool.runBatch (real worker threads)', () => {
  let pool: WorkerPool;
  let dir: string;
  before(async () => {
    pool = new WorkerPool({ workers: 2, maxOldGenerationSizeMb: 32 });
    dir = await mkdtemp(join(tmpdir(), 'batch-'));
  });
  after(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every task of a batch once, in order, and reports each outcome', async () => {
    const double = fn((x: number) => x * 2);
    const other = fn((s: string) => s.toUpperCase());
    const tasks = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? task(other, [`t${i}`]) : task(double, [i])));
    const order: number[] = [];
    const values: unknown[] = [];
    const run = pool.runBatch(tasks, { onOutcome: (i, outcome) => { order.push(i); values[i] = describeOutcome(outcome); } });
    await run.done;
    assert.deepEqual(order, tasks.map((_, i) => i));
    assert.deepEqual(values, tasks.map((_, i) => (i % 3 === 0 ? `T${i}` : i * 2)));
  });

  it('a finished batch leaves no port open (an idle worker never closes its end)', async () => {
    const ports = (): number => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
    const one = fn((x: number) => x);
    await pool.runBatch([task(one, [0])], { onOutcome: () => {} }).done;
    await everyWorkerIdle(pool);
    const before = ports();
    for (let i = 0; i < 20; i++) await pool.runBatch([task(one, [1]), task(one, [2]), task(one, [3])], { onOutcome: () => {} }).done;
    await everyWorkerIdle(pool);
    assert.equal(ports(), before);
  });

  it('a function\'s own error fails only its task', async () => {
    const { run, summary } = collect(pool, [task(fn(() => 1), []), task(fn(() => { throw new RangeError('no'); }), []), task(fn(() => 3), [])]);
    await run.done;
    assert.deepEqual(summary(), [1, 'RangeError', 3]);
  });

  it('cancel() of a task not started yet: it never runs, the others do', async () => {
    const path = join(dir, 'skip.log');
    const slow = fn(async (ms: number) => new Promise((r) => setTimeout(() => r(ms), ms)));
    const { run, summary } = collect(pool, [task(slow, [300]), task(logged, [path, 1, false]), task(logged, [path, 2, false])]);
    assert.equal(run.cancel(1), true);
    await run.done;
    assert.deepEqual(summary(), [300, 'none', 2]);
    assert.deepEqual(await ran(path), [2]);
  });

  it('cancel() of a running task stops it; the tasks after it run once each, on a fresh worker', async () => {
    const path = join(dir, 'stop.log');
    const { run, summary } = collect(pool, [task(logged, [path, 0, false]), task(logged, [path, 1, true]), task(logged, [path, 2, false]), task(logged, [path, 3, false])]);
    while (!(await ran(path)).includes(1)) await new Promise((r) => setTimeout(r, 10));
    assert.equal(run.cancel(1), true);
    await run.done;
    assert.deepEqual(summary(), [0, 'none', 2, 3]);
    assert.deepEqual((await ran(path)).sort(), [0, 1, 2, 3]);
    assert.equal(run.cancel(2), false, 'an ended task cannot be cancelled');
  });

  it('a time limit stops only its own task (TaskTimeout); the others run', async () => {
    const path = join(dir, 'timeout.log');
    const { run, summary } = collect(pool, [task(logged, [path, 0, false], 5000), task(logged, [path, 1, true], 200), task(logged, [path, 2, false], 5000)]);
    await run.done;
    assert.deepEqual(summary(), [0, 'TaskTimeout', 2]);
    assert.deepEqual((await ran(path)).sort(), [0, 1, 2]);
  });

  it('a worker that dies fails only the task it was running (WorkerCrashed)', async () => {
    const exit = fn(() => { process.exit(3); });
    const one = fn((x: number) => x);
    const { run, summary } = collect(pool, [task(one, [0]), task(exit, []), task(one, [2]), task(one, [3])]);
    await run.done;
    assert.deepEqual(summary(), [0, 'WorkerCrashed', 2, 3]);
  });

  it('cancelling every task ends the batch', async () => {
    const path = join(dir, 'all.log');
    const { run, summary } = collect(pool, [task(logged, [path, 0, true]), task(logged, [path, 1, false])]);
    while (!(await ran(path)).includes(0)) await new Promise((r) => setTimeout(r, 10));
    run.cancel(0);
    run.cancel(1);
    await run.done;
    assert.deepEqual(summary(), ['none', 'none']);
    assert.deepEqual(await ran(path), [0]);
  });
});
