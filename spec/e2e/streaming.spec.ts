import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { python } from '../../lib/client/PythonFunction.js';
import { FuncXExecutor } from '../../lib/executor/FuncXExecutor.js';
import { TaskExecutionFailed } from '../../lib/errors/TaskExecutionFailed.js';
import { startLocalService, type LocalService } from '../../lib/local/startLocalService.js';
import { call } from '../support/rawApi.js';
import { startChildService, type ChildService } from '../support/childService.js';
import { FaultProxy } from '../support/FaultProxy.js';
import { countingReader } from '../support/countingReader.js';
import { until } from '../support/until.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** How many partials the service holds unread per task in these specs. */
const WINDOW = 100;

/**
 * Generators end to end (docs/protocol-extensions.md §11): real JavaScript worker threads and
 * CPython processes on the embedded service's endpoint, a real client.
 */
describe('streaming results end to end', { timeout: 120_000 }, () => {
  let local: LocalService;
  let fxc: FuncXClient<true>;
  before(async () => {
    local = await startLocalService({ workers: 2, service: { maxUnreadPartials: WINDOW } });
    fxc = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true });
  });
  after(async () => {
    await fxc.close({ cancel: true });
    await local.stop();
  });

  /** How many partials the service has heard of for a task, read without acknowledging any (an empty page). */
  const heard = async (taskId: string): Promise<number> => (await call(local.url, 'GET', `/v2/tasks/${taskId}/partials?from=${Number.MAX_SAFE_INTEGER}&limit=1`, { token: local.token })).body.count;

  it('a paused reader pauses the generator: 100,000 values, the service holds at most its window, then every value arrives in order', async () => {
    const VALUES = 100_000;
    const functionId = await fxc.registerFunction(function* values(n: number) {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        sum += i;
        yield i;
      }
      return sum;
    });
    const task = fxc.run({ functionId, endpointId: local.endpointId }, VALUES);
    const reader = task.partials();
    for (let i = 0; i < 10; i++) assert.deepEqual(await reader.next(), { done: false, value: i });
    // The reader pauses: the generator runs on only as far as its credit (10 read + the window).
    await until(async () => (await heard(task.taskId)) === 10 + WINDOW, 'the window to fill');
    const filled = await heard(task.taskId);
    // Past one more round trip of the endpoint (another task's result), nothing more came.
    const other = await fxc.registerFunction((x: number) => x + 1);
    assert.equal(await fxc.run({ functionId: other, endpointId: local.endpointId }, 1), 2);
    assert.equal(await heard(task.taskId), filled, 'the generator stayed paused');
    assert.equal((await call(local.url, 'GET', `/v2/tasks/${task.taskId}`, { token: local.token })).body.status, 'running');
    let expected = 10;
    for await (const value of reader) {
      if (value !== expected) assert.fail(`partial ${String(value)} came where ${expected} was due`);
      expected++;
    }
    assert.equal(expected, VALUES, 'every value, once');
    assert.equal(await task, (VALUES * (VALUES - 1)) / 2, 'the return value');
  });

  it('cancelling paused generators stops them and frees their workers', async () => {
    const functionId = await fxc.registerFunction(function* forever() {
      for (let i = 0; ; i++) yield i;
    });
    // Nobody reads: each fills the window and waits, holding its worker (both of them).
    const paused = [fxc.run({ functionId, endpointId: local.endpointId }), fxc.run({ functionId, endpointId: local.endpointId })];
    for (const task of paused) await until(async () => (await heard(task.taskId)) === WINDOW, 'the window to fill');
    for (const task of paused) task.cancel();
    for (const task of paused) await assert.rejects(task.asPromise(), { name: 'TaskCancelled' });
    const other = await fxc.registerFunction((x: number) => x * 3);
    assert.equal(await fxc.run({ functionId: other, endpointId: local.endpointId }, 3), 9, 'a worker is free again');
  });

  it('an async generator streams to the Observable; an exception mid-stream fails the task after the partials before it', async () => {
    const functionId = await fxc.registerFunction(async function* ticks(n: number, failAt: number) {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new Error(`boom at ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 1));
        yield `tick ${i}`;
      }
      return 'done';
    });
    const seen: unknown[] = [];
    await new Promise<void>((resolve, reject) => fxc.run({ functionId, endpointId: local.endpointId }, 5, -1).subscribe({ next: (v) => seen.push(v), error: reject, complete: resolve }));
    assert.deepEqual(seen, ['tick 0', 'tick 1', 'tick 2', 'tick 3', 'tick 4']);
    const failing: unknown[] = [];
    const error = await new Promise<unknown>((resolve) => fxc.run({ functionId, endpointId: local.endpointId }, 5, 3).subscribe({ next: (v) => failing.push(v), error: resolve, complete: () => resolve(null) }));
    assert.deepEqual(failing, ['tick 0', 'tick 1', 'tick 2']);
    assert.ok(error instanceof TaskExecutionFailed && /boom at 3/.test(error.message), String(error));
  });

  it('a Python generator streams from CPython; the executor\'s future gives its return value', async () => {
    const functionId = await fxc.registerFunction(python<(n: number) => Generator<number, string>>`
      def squares(n):
          for i in range(n):
              yield i * i
          return "squared %d" % n
    `);
    const seen: unknown[] = [];
    const task = fxc.run({ functionId, endpointId: local.endpointId }, 5);
    await new Promise<void>((resolve, reject) => task.subscribe({ next: (v) => seen.push(v), error: reject, complete: resolve }));
    assert.deepEqual(seen, [0, 1, 4, 9, 16]);
    assert.equal(await task, 'squared 5');
    const executor = new FuncXExecutor(new FuncXClient({ serviceUrl: local.url, token: local.token }), { endpointId: local.endpointId });
    try {
      const squares = python<(n: number) => Generator<number, string>>`
        def squares(n):
            for i in range(n):
                yield i * i
            return "squared %d" % n
      `;
      assert.equal(await executor.submit(squares, 3), 'squared 3');
    } finally {
      await executor.shutdown();
    }
  });
});

/**
 * Partials under network faults made on the wire (a TCP proxy between the client and a service in
 * another process): the result socket is reset and stalled while a generator streams; every value
 * reaches the subscriber once, in order.
 */
describe('streaming results under an outside proxy\'s faults', () => {
  let service: ChildService;
  let proxy: FaultProxy;
  before(async () => {
    service = await startChildService(2);
    proxy = await FaultProxy.start(service.url);
  });
  after(async () => {
    await proxy?.close();
    await service?.stop();
  });

  it('resets and stalls of the result socket while 3,000 values stream: each arrives once, in order', async () => {
    const VALUES = 3000;
    const fxc = new FuncXClient({ serviceUrl: proxy.url, token: service.token, asynchronous: true, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
    try {
      const functionId = await fxc.registerFunction(async function* slowly(n: number) {
        for (let i = 0; i < n; i++) {
          if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
          yield i;
        }
        return n;
      });
      const task = fxc.run({ functionId, endpointId: service.endpointId }, VALUES);
      const { seen, outOfOrder, done } = countingReader(task);
      let faults = 0;
      while (seen.length < VALUES && faults < 12) {
        const at = seen.length;
        await until(() => seen.length > at || task.settled, 'more values between faults');
        if (faults % 3 === 2) proxy.stallAll(300);
        else proxy.resetAll('websocket');
        faults++;
      }
      await done;
      assert.ok(faults >= 3, `faults made while streaming: ${faults}`);
      assert.equal(outOfOrder(), 0, 'in order');
      assert.equal(seen.length, VALUES, 'each once');
      assert.equal(await task, VALUES);
    } finally {
      await fxc.close({ cancel: true });
    }
  });
});
