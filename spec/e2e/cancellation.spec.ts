import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { TaskCancelled } from '../../lib/errors/TaskCancelled.js';
import { startChildService, type ChildService } from '../support/childService.js';
import { FaultProxy, mulberry32 } from '../support/FaultProxy.js';
import { call } from '../support/rawApi.js';
import { until } from '../support/until.js';

/**
 * The cancellation guarantee (docs/protocol.md §6): what the user sees after `cancel()` is what
 * the service recorded. A task cancelled in the client's buffer never reaches the service; any
 * other settles with the service's answer to the cancel: `TaskCancelled` when the service
 * stopped it (its final status is then `cancelled` and stays so), or its real outcome when it
 * had already ended.
 */
describe('cancellation', () => {
  let service: ChildService;
  let proxy: FaultProxy;
  before(async () => {
    service = await startChildService(4);
    proxy = await FaultProxy.start(service.url);
  });
  after(async () => {
    await proxy.close();
    await service.stop();
  });

  it('should settle each cancelled task as the service recorded it, even when a cancel answer is cut', async () => {
    const fxc = new FuncXClient({ serviceUrl: proxy.url, token: service.token, asynchronous: true, batchInterval: 5, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
    const functionId = await fxc.registerFunction(async (x: number) => {
      await new Promise((resolve) => setTimeout(resolve, x % 20));
      return x;
    });
    // The first cancel's answer is lost on the wire: the client must ask again.
    proxy.cut({ match: /^POST \/v2\/cancel /, at: 'answer' });
    const random = mulberry32(42);
    const tasks = Array.from({ length: 200 }, (_, x) => ({ x, task: fxc.run({ functionId, endpointId: service.endpointId }, x) }));
    // Cancels land everywhere: in the buffer, while the post is in flight, while waiting, running, and after the end.
    const all = Promise.all(
      tasks.map(async ({ x, task }) => {
        // A tenth are cancelled at once, still in the batch buffer.
        if (x % 10 !== 0) await sleep(Math.floor(random() * 300));
        task.cancel(new Error(`cancel ${x}`));
        try {
          return { x, id: task.taskId, value: await task, error: null as unknown };
        } catch (error) {
          return { x, id: task.taskId, value: undefined, error };
        }
      }),
    );
    const bound = new AbortController();
    const seen = await Promise.race([all, sleep(30_000, null, { signal: bound.signal }).catch(() => null)]);
    bound.abort();
    if (seen === null) {
      const hung = tasks.filter(({ task }) => !task.settled);
      const records = await Promise.all(hung.map(async ({ task }) => `${task.taskId} client=${task.status} service=${JSON.stringify((await call(service.url, 'GET', `/v2/tasks/${task.taskId}`, { token: service.token })).body)}`));
      assert.fail(`${hung.length} cancelled tasks hung:\n${records.join('\n')}`);
    }
    assert.equal(proxy.pendingCuts, 0, 'a cancel answer was cut');
    let cancelled = 0;
    let succeeded = 0;
    let neverSent = 0;
    const check = async (): Promise<void> => {
      for (const { x, id, value, error } of seen) {
        const record = await call(service.url, 'GET', `/v2/tasks/${id}`, { token: service.token });
        if (error !== null) {
          assert.ok(error instanceof TaskCancelled, `task ${x} failed with ${String(error)}`);
          assert.equal((error.cause as Error | undefined)?.message, `cancel ${x}`, 'the user\'s reason is the cause');
          if (record.status === 404) neverSent++;
          else {
            assert.equal(record.body.status, 'cancelled', `task ${x}: the user saw TaskCancelled, the service recorded ${record.body.status}`);
            cancelled++;
          }
        } else {
          assert.equal(value, x);
          assert.equal(record.body.status, 'success', `task ${x}: the user saw a value, the service recorded ${record.body.status}`);
          succeeded++;
        }
      }
    };
    await check();
    assert.equal(cancelled + succeeded + neverSent, 200);
    assert.ok(cancelled > 0 && neverSent > 0, `cancels landed in several phases: ${JSON.stringify({ cancelled, succeeded, neverSent })}`);
    // A cancelled task stays cancelled: a result its worker sends later is discarded. The witness:
    // the endpoint reports every worker free. It reports on the socket its results go out on, so
    // the service has read any result a worker sent before it (and records results at once on
    // this memory backend).
    await until(async () => {
      const { engine } = (await call(service.url, 'GET', `/v2/endpoints/${service.endpointId}/status`, { token: service.token })).body as { engine: { workers: { total: number; free: number } } | null };
      return engine !== null && engine.workers.total > 0 && engine.workers.free === engine.workers.total;
    }, 'the endpoint to report every worker free');
    cancelled = succeeded = neverSent = 0;
    await check();
    await fxc.close();
  });

  it('should settle a task with its value when the cancel reaches the service after it ended, before its result reached the client', async () => {
    const fxc = new FuncXClient({ serviceUrl: proxy.url, token: service.token, asynchronous: true, batchInterval: 5, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
    const functionId = await fxc.registerFunction((x: number) => x * 3);
    // Results are held on the wire: the service has them, the client does not yet.
    proxy.holdFrames();
    try {
      const tasks = [1, 2, 3].map((x) => fxc.run({ functionId, endpointId: service.endpointId }, x));
      const record = async (id: string): Promise<string> => (await call(service.url, 'GET', `/v2/tasks/${id}`, { token: service.token })).body.status;
      for (const task of tasks) await until(async () => (await record(task.taskId)) === 'success', `task ${task.taskId} to succeed on the service`);
      for (const task of tasks) task.cancel(new Error('too late'));
      // The cancel's answer says the tasks had ended: the user gets their values, as the service recorded.
      assert.deepEqual(await Promise.all(tasks), [3, 6, 9]);
      for (const task of tasks) assert.equal(await record(task.taskId), 'success');
    } finally {
      proxy.releaseFrames();
      await fxc.close();
    }
  });
});
