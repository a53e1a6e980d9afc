import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findPython } from '../../lib/endpoint/python/findPython.js';
import { PythonPool } from '../../lib/endpoint/python/PythonPool.js';
import type { BatchTask } from '../../lib/endpoint/WorkerBatchRun.js';
import type { WorkerOutcome } from '../../lib/endpoint/worker.js';
import { pack } from '../../lib/serialize/pack.js';
import { deserialize, deserializeError, packPayload, serializePythonSource } from '../../lib/serialize/serialize.js';
import { until } from '../support/until.js';

let nextId = 0;
const fn = (name: string, source: string) => ({ functionId: `pb${nextId++}`, functionCode: pack([serializePythonSource(name, source)]) });
const task = (f: { functionId: string; functionCode: string }, args: unknown[], timeoutMs?: number): BatchTask => ({ ...f, payload: packPayload(args), timeoutMs });
const describeOutcome = (outcome: WorkerOutcome | undefined): unknown => {
  if (outcome === undefined) return 'none';
  if ('result' in outcome) return deserialize(outcome.result);
  return deserializeError(outcome.exception).name;
};

/** Runs a batch and collects each index's outcomes (more than one would be a bug). */
function collect(pool: PythonPool, tasks: BatchTask[]) {
  const outcomes = new Map<number, WorkerOutcome[]>();
  const order: number[] = [];
  const run = pool.runBatch(tasks, { onOutcome: (i, outcome) => { order.push(i); outcomes.set(i, [...(outcomes.get(i) ?? []), outcome]); } });
  const summary = () => tasks.map((_, i) => {
    const got = outcomes.get(i) ?? [];
    assert.ok(got.length <= 1, `task ${i} reported ${got.length} times`);
    return describeOutcome(got[0]);
  });
  return { run, order, summary };
}

// Each task appends its index to a file: what ran, and how often, seen from outside the pool.
const logged = fn('logged', 'def logged(path, i, spin):\n    with open(path, "a") as f:\n        f.write("%d\\n" % i)\n    while spin:\n        pass\n    return i\n');
const pid = fn('pid', 'import os\ndef pid(i):\n    return os.getpid()\n');
const ran = async (path: string): Promise<number[]> => (await readFile(path, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);

describe('PythonPool.runBatch (real CPython worker processes)', { timeout: 60_000 }, () => {
  let pool: PythonPool;
  let dir: string;
  before(async () => {
    const python = await findPython();
    assert.ok(python.runtime, `these specs need CPython 3 (tried: ${python.tried.join('; ')})`);
    pool = new PythonPool({ python, workers: 1, maxResultBytes: 100_000, memoryMb: 512 });
    dir = await mkdtemp(join(tmpdir(), 'pybatch-'));
  });
  after(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every task of a batch once, in order, on one process, and reports each outcome with its run time', async () => {
    const double = fn('double', 'def double(x):\n    return x * 2\n');
    const upper = fn('upper', 'def upper(s):\n    return s.upper()\n');
    const tasks = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? task(upper, [`t${i}`]) : task(double, [i])));
    const times: number[] = [];
    const values: unknown[] = [];
    const order: number[] = [];
    const run = pool.runBatch(tasks, { onOutcome: (i, outcome, ms) => { order.push(i); values[i] = describeOutcome(outcome); times.push(ms); } });
    await run.done;
    assert.deepEqual(order, tasks.map((_, i) => i));
    assert.deepEqual(values, tasks.map((_, i) => (i % 3 === 0 ? `T${i}` : i * 2)));
    assert.ok(times.every((ms) => ms > 0), 'each outcome comes with the time its task ran');
    const { run: pids, summary } = collect(pool, [task(pid, [0]), task(pid, [1]), task(pid, [2])]);
    await pids.done;
    assert.equal(new Set(summary()).size, 1, 'one process ran the whole batch');
  });

  it('a function\'s own error fails only its task', async () => {
    const { run, summary } = collect(pool, [task(fn('one', 'def one():\n    return 1\n'), []), task(fn('bad', 'def bad():\n    raise ValueError("no")\n'), []), task(fn('three', 'def three():\n    return 3\n'), [])]);
    await run.done;
    assert.deepEqual(summary(), [1, 'ValueError', 3]);
  });

  it('cancel() of a task not started yet: it never runs, the others do, on the same process', async () => {
    const path = join(dir, 'skip.log');
    const slow = fn('slow', 'import time, os\ndef slow(s):\n    time.sleep(s)\n    return os.getpid()\n');
    const { run, summary } = collect(pool, [task(slow, [0.3]), task(logged, [path, 1, false]), task(logged, [path, 2, false]), task(pid, [3])]);
    assert.equal(run.cancel(1), true);
    await run.done;
    const [first, skipped, second, last] = summary();
    assert.deepEqual([skipped, second], ['none', 2]);
    assert.equal(first, last, 'skipping kept the process');
    assert.deepEqual(await ran(path), [2]);
    assert.equal(run.cancel(1), false, 'a cancelled task cannot be cancelled again');
  });

  it('cancel() of a running task stops it; the tasks after it run once each, on a fresh process', async () => {
    const path = join(dir, 'stop.log');
    const { run, summary } = collect(pool, [task(logged, [path, 0, false]), task(logged, [path, 1, true]), task(logged, [path, 2, false]), task(logged, [path, 3, false])]);
    await until(async () => (await ran(path)).includes(1), 'task 1 running');
    assert.equal(run.cancel(1), true);
    await run.done;
    assert.deepEqual(summary(), [0, 'none', 2, 3]);
    assert.deepEqual((await ran(path)).sort(), [0, 1, 2, 3]);
    assert.equal(run.cancel(2), false, 'an ended task cannot be cancelled');
    assert.equal(pool.processes, 1);
  });

  it('a time limit stops only its own task (TaskTimeout); the others run', async () => {
    const path = join(dir, 'timeout.log');
    const { run, summary } = collect(pool, [task(logged, [path, 0, false], 5000), task(logged, [path, 1, true], 300), task(logged, [path, 2, false], 5000)]);
    await run.done;
    assert.deepEqual(summary(), [0, 'TaskTimeout', 2]);
    assert.deepEqual((await ran(path)).sort(), [0, 1, 2]);
  });

  it('a process that dies fails only the task it was running (WorkerCrashed)', async () => {
    const exit = fn('crash', 'import os\ndef crash():\n    os._exit(3)\n');
    const one = fn('one', 'def one(x):\n    return x\n');
    const { run, summary } = collect(pool, [task(one, [0]), task(exit, []), task(one, [2]), task(one, [3])]);
    await run.done;
    assert.deepEqual(summary(), [0, 'WorkerCrashed', 2, 3]);
  });

  it('a MemoryError fails its task, the process ends itself, and the tasks after it run on a fresh one', async () => {
    const hog = fn('hog', 'def hog():\n    return bytearray(4 * 1024 * 1024 * 1024)\n');
    const { run, summary } = collect(pool, [task(pid, [0]), task(hog, []), task(pid, [2])]);
    await run.done;
    const [before, failed, after] = summary();
    assert.equal(failed, 'MemoryError');
    assert.equal(typeof after, 'number');
    assert.notEqual(before, after, 'a fresh process ran the rest');
  });

  it('cancelling every task ends the batch, and single tasks queue behind a batch', async () => {
    const path = join(dir, 'all.log');
    const { run, summary } = collect(pool, [task(logged, [path, 0, true]), task(logged, [path, 1, false])]);
    const single = pool.run({ ...logged, payload: packPayload([path, 9, false]) });
    await until(async () => (await ran(path)).includes(0), 'task 0 running');
    run.cancel(0);
    run.cancel(1);
    await run.done;
    assert.deepEqual(summary(), ['none', 'none']);
    assert.equal(describeOutcome(await single), 9);
    assert.deepEqual(await ran(path), [0, 9]);
  });

  it('a pool that closes fails what its batches had not run (WorkerCrashed), and leaves no process', async () => {
    const python = await findPython();
    const closing = new PythonPool({ python, workers: 1 });
    const path = join(dir, 'close.log');
    const { run, summary } = collect(closing, [task(logged, [path, 0, true]), task(logged, [path, 1, false])]);
    await until(async () => (await ran(path)).includes(0), 'task 0 running');
    await closing.close();
    await run.done;
    assert.deepEqual(summary(), ['WorkerCrashed', 'WorkerCrashed']);
    assert.equal(closing.processes, 0);
  });
});
