import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstValueFrom, toArray } from 'rxjs';
import { v4 as uuidv4 } from 'uuid';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import type { FunctionId } from '../../lib/client/FunctionId.js';
import type { AsyncTask } from '../../lib/reactive/AsyncTask.js';
import { call } from '../support/rawApi.js';
import { startChildService, type ChildService } from '../support/childService.js';
import { FaultProxy } from '../support/FaultProxy.js';
import { until } from '../support/until.js';

/**
 * Each class of network fault, made on the wire by a TCP proxy between the client and a
 * service running in another process. In every case each task settles exactly once, with the
 * right value, within a bound (none hangs).
 */
describe('faults injected by a proxy between client and service', () => {
  let service: ChildService;
  let proxy: FaultProxy;
  let fxc: FuncXClient<true>;
  let quick: FunctionId<(x: number) => number>;
  let slow: FunctionId<(x: number) => Promise<number>>;

  before(async () => {
    service = await startChildService(4);
  });
  after(() => service.stop());

  const open = async (): Promise<void> => {
    proxy = await FaultProxy.start(service.url);
    fxc = new FuncXClient({
      serviceUrl: proxy.url,
      token: service.token,
      asynchronous: true,
      batchInterval: 5,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
      submitDeadlineMs: 10_000,
    }) as FuncXClient<true>;
    quick = await fxc.registerFunction((x: number) => x * 2);
    slow = await fxc.registerFunction(async (x: number) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return x * 2;
    });
  };
  afterEach(async () => {
    await fxc.close({ cancel: true });
    await proxy.close();
  });

  /** Runs tasks and checks that each settles exactly once with x * 2, within 15 s; then runs one witness task. */
  async function settleExactlyOnce(tasks: { task: AsyncTask<number>; x: number }[]): Promise<void> {
    const deliveries = tasks.map(() => 0);
    const errors: unknown[] = [];
    const settled = tasks.map(
      ({ task, x }, i) =>
        new Promise<void>((resolve) => {
          task.subscribe({
            next: (value) => {
              deliveries[i]!++;
              assert.equal(value, x * 2, `task ${task.taskId}`);
            },
            error: (error: unknown) => {
              errors.push(error);
              resolve();
            },
            complete: resolve,
          });
        }),
    );
    const bound = sleep(15_000, 'hung');
    const outcome = await Promise.race([Promise.all(settled).then(() => 'settled'), bound]);
    assert.equal(outcome, 'settled', `tasks hung: ${tasks.filter((t) => !t.task.settled).map((t) => t.task.taskId).join(', ')}`);
    assert.deepEqual(errors, []);
    assert.deepEqual(deliveries, tasks.map(() => 1));
    // Nothing arrives late: after a witness task's whole round trip (submit, run, result) through
    // the same client and proxy, each task still has had one delivery, and a new subscriber gets
    // its one value (a late result could not replace it).
    assert.equal(await fxc.run({ functionId: quick, endpointId: service.endpointId }, 21), 42, 'the witness');
    assert.deepEqual(deliveries, tasks.map(() => 1));
    for (const { task, x } of tasks) assert.deepEqual(await firstValueFrom(task.pipe(toArray())), [x * 2], `task ${task.taskId} replays one value`);
  }

  /** Resolves once the tasks are posted (the service has them) and the result socket is open. */
  const inFlight = (tasks: { task: AsyncTask<number> }[]): Promise<void> =>
    until(() => fxc.stats.socketOpens >= 1 && tasks.every(({ task }) => task.status !== 'queued'), 'the tasks posted and the result socket open');

  const run = (fn: FunctionId<(x: number) => unknown>, xs: number[], taskId?: (x: number) => string): { task: AsyncTask<number>; x: number }[] =>
    xs.map((x) => ({ x, task: fxc.run({ functionId: fn as FunctionId<(x: number) => number>, endpointId: service.endpointId, ...(taskId ? { taskId: taskId(x) } : {}) }, x) }));

  /** The service's own record of a task, read directly (not through the proxy). */
  const serviceRecord = async (taskId: string): Promise<{ status: string }> => (await call(service.url, 'GET', `/v2/tasks/${taskId}`, { token: service.token })).body;

  for (const [what, at] of [
    ['a submit request lost', 'request'],
    ['a submit answer lost', 'answer'],
    ['a submit answer cut after its headers', 'headers'],
    ['a submit answer cut mid-body', 'body'],
    ['a submit answer stalled, then reset', 'stall'],
  ] as const) {
    it(`should retry ${what} with the same ids, and run each task once`, async () => {
      await open();
      const before = (await call(service.url, 'GET', '/v2/stats', { token: service.token })).body.tasks_submitted as number;
      proxy.cut({ match: /^POST \/v2\/submit /, at });
      await settleExactlyOnce(run(quick, [1, 2, 3]));
      assert.equal(proxy.counters.cuts + proxy.counters.stalls, 1, 'the fault happened');
      const afterRun = (await call(service.url, 'GET', '/v2/stats', { token: service.token })).body.tasks_submitted as number;
      assert.equal(afterRun - before, 3 + 1, 'the service accepted each task once, retries included (and settleExactlyOnce\'s witness)');
    });
  }

  it('should recover a result frame cut mid-frame (reconnect, then sweep)', async () => {
    await open();
    const ids = [uuidv4(), uuidv4()];
    proxy.cut({ match: new RegExp(ids[0]!), at: 'frame' });
    await settleExactlyOnce(run(slow, [1, 2], (x) => ids[x - 1]!));
    assert.equal(proxy.counters.cuts, 1);
    assert.ok(fxc.stats.socketOpens >= 2, 'the socket was reopened');
  });

  it('should recover from every connection stalled, then reset, while tasks run', async () => {
    await open();
    const tasks = run(slow, [1, 2, 3, 4, 5]);
    await inFlight(tasks);
    assert.ok(proxy.stallAll(300) >= 1, 'connections were stalled');
    await settleExactlyOnce(tasks);
  });

  it('should recover from faults during a reconnect: a handshake lost, then a handshake answer lost', async () => {
    await open();
    const tasks = run(slow, [1, 2, 3]);
    await inFlight(tasks);
    proxy.cut({ match: /^GET \/ws\/v2\//, at: 'request' });
    proxy.cut({ match: /^GET \/ws\/v2\//, at: 'answer' });
    proxy.resetAll('websocket');
    await settleExactlyOnce(tasks);
    assert.equal(proxy.pendingCuts, 0, 'both handshakes were cut');
  });

  it('should recover from faults during a sweep: the sweep\'s request lost, then its answer cut', async () => {
    await open();
    const id = uuidv4();
    // The result is cut on its way, so only a sweep can recover it; the sweep is cut twice.
    proxy.cut({ match: new RegExp(id), at: 'frame' });
    proxy.cut({ match: /^POST \/v2\/batch_status /, at: 'request' });
    proxy.cut({ match: /^POST \/v2\/batch_status /, at: 'body' });
    await settleExactlyOnce(run(slow, [7], () => id));
    assert.equal(proxy.pendingCuts, 0, 'the frame and both sweeps were cut');
  });

  it('should recover a result sent into a dying socket while the task\'s submit answer was in flight (issue 9, defect 1)', async () => {
    await open();
    const id = uuidv4();
    // The answer is held while the task runs and its result frame is cut: the socket reopens
    // and sweeps while the task is not yet posted. Then the held answer is reset and the retry
    // is answered. Only a sweep after that answer can find the result.
    proxy.cut({ match: /^POST \/v2\/submit /, at: 'stall', stallMs: 600 });
    proxy.cut({ match: new RegExp(id), at: 'frame' });
    await settleExactlyOnce(run(quick, [21], () => id));
    assert.equal(proxy.pendingCuts, 0, 'the answer was stalled and the frame cut');
    assert.equal((await serviceRecord(id)).status, 'success');
  });

  it('should settle every task of a seeded random chaos run exactly once', async () => {
    await open();
    proxy.startChaos({ seed: 9, minMs: 50, maxMs: 150, stallMs: 100 });
    const xs = Array.from({ length: 600 }, (_, i) => i);
    const tasks: { task: AsyncTask<number>; x: number }[] = [];
    // Submitted over a second, so the faults land on submits, answers, results and sweeps alike.
    for (let i = 0; i < xs.length; i += 60) {
      tasks.push(...run(i % 120 === 0 ? slow : quick, xs.slice(i, i + 60)));
      await sleep(100);
    }
    await settleExactlyOnce(tasks);
    proxy.stopChaos();
    const faults = proxy.counters.resets + proxy.counters.closes + proxy.counters.stalls;
    assert.ok(faults >= 5, `faults were injected: ${JSON.stringify(proxy.counters)}`);
  });

  it('should retry submits through a partition of a few seconds until it heals (submitDeadlineMs)', async () => {
    await open();
    proxy.partition();
    const tasks = run(quick, [1, 2, 3]);
    // The partition lasts while the client retries: 20 refused connections (submits and socket
    // opens, 100 ms apart at most) after which nothing has failed.
    await until(() => proxy.counters.refused >= 20, 'the client to retry through the partition');
    assert.ok(tasks.every((t) => !t.task.settled), 'nothing failed during the partition');
    proxy.heal();
    await settleExactlyOnce(tasks);
    assert.ok(proxy.counters.refused >= 1, 'connections were refused during the partition');
  });
});
