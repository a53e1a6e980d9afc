import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { WorkerPool } from '../../lib/endpoint/WorkerPool.js';
import { pack } from '../../lib/serialize/pack.js';
import { deserialize, deserializeError, packPayload, serializeFunction } from '../../lib/serialize/serialize.js';
import type { WorkerOutcome } from '../../lib/endpoint/worker.js';

let nextId = 0;
const job = (fn: (...args: never[]) => unknown, args: unknown[] = []) => ({ functionId: `f${nextId++}`, functionCode: pack([serializeFunction(fn)]), payload: packPayload(args) });
const value = (outcome: WorkerOutcome): unknown => ('result' in outcome ? deserialize(outcome.result) : assert.fail(`expected a result, got ${outcome.exception}`));
const error = (outcome: WorkerOutcome) => ('exception' in outcome ? deserializeError(outcome.exception) : assert.fail(`expected an exception, got ${outcome.result}`));

describe('WorkerPool (real worker threads, one worker)', () => {
  let pool: WorkerPool;
  before(() => (pool = new WorkerPool({ workers: 1, maxOldGenerationSizeMb: 32 })));
  after(() => pool.close());

  it('.run() - returns a serialized result, awaiting async functions', async () => {
    assert.equal(value(await pool.run(job(async (x: number) => x * 2, [21]))), 42);
  });

  it('.run() - returns the function\'s own error, serialized', async () => {
    const remote = error(await pool.run(job(() => { throw new TypeError('nope'); })));
    assert.deepEqual([remote.name, remote.message], ['TypeError', 'nope']);
  });

  it('.run() - a time limit stops a function that never returns, and the worker is replaced', async () => {
    const remote = error(await pool.run(job(() => { for (;;) { /* spin */ } }), { timeoutMs: 200 }));
    assert.equal(remote.name, 'TaskTimeout');
    assert.equal(value(await pool.run(job(() => 'next'))), 'next');
  });

  it('.run() - aborting stops a running infinite loop and frees its worker', async () => {
    const controller = new AbortController();
    // The task says it started (a BroadcastChannel reaches this thread while it spins), and only then is it aborted.
    const name = 'workerPool.spec started';
    const channel = new BroadcastChannel(name);
    try {
      const started = once(channel, 'message');
      const running = pool.run(job(async (channelName: string) => {
        const { BroadcastChannel } = await import('node:worker_threads');
        new BroadcastChannel(channelName).postMessage('started');
        for (;;) { /* spin */ }
      }, [name]), { signal: controller.signal });
      await Promise.race([started, running.then((outcome) => assert.fail(`the task ended before it was aborted: ${JSON.stringify(outcome)}`))]);
      controller.abort(new Error('cancelled'));
      await assert.rejects(running, /cancelled/);
    } finally {
      channel.close();
    }
    assert.equal(value(await pool.run(job(() => 'freed'))), 'freed');
  });

  for (const [what, fn] of [
    ['process.exit()', () => { process.exit(3); }],
    ['an uncaught error in a timer', () => { setTimeout(() => { throw new Error('late'); }); return new Promise(() => {}); }],
    ['exhausting memory', () => { const hog: number[][] = []; for (;;) hog.push(new Array(100_000).fill(1)); }],
  ] as const) {
    it(`.run() - ${what} fails only its task with WorkerCrashed, and the pool goes on`, async () => {
      const remote = error(await pool.run(job(fn)));
      assert.equal(remote.name, 'WorkerCrashed');
      assert.equal(value(await pool.run(job((x: number) => x + 1, [1]))), 2);
    });
  }

  it('constructor - refuses a worker count under 1', () => {
    assert.throws(() => new WorkerPool({ workers: 0 }), /Expected `workers` to be a whole number from 1 and up/);
  });
});
