import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { TaskCancelled } from '../../lib/errors/TaskCancelled.js';
import { startChildService, type ChildService } from '../support/childService.js';
import { FaultProxy, mulberry32 } from '../support/FaultProxy.js';
import { call } from '../support/rawApi.js';

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
    const seen = await Promise.all(
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
    assert.ok(cancelled > 0 && neverSent > 0 && succeeded > 0, `cancels landed in several phases: ${JSON.stringify({ cancelled, succeeded, neverSent })}`);
    // A cancelled task stays cancelled: a result its worker sends later is discarded.
    await sleep(200);
    cancelled = succeeded = neverSent = 0;
    await check();
    await fxc.close();
  });
});
