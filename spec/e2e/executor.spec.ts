import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { FuncXError } from '../../lib/errors/FuncXError.js';
import { TaskCancelled } from '../../lib/errors/TaskCancelled.js';
import { FuncXExecutor } from '../../lib/executor/FuncXExecutor.js';
import { startLocalService, type LocalService } from '../../lib/local/startLocalService.js';
import { until } from '../support/until.js';

describe('FuncXExecutor end to end', () => {
  let local: LocalService;
  let fxc: FuncXClient;
  before(async () => {
    local = await startLocalService({ workers: 4 });
    fxc = new FuncXClient({ serviceUrl: local.url, token: local.token });
  });
  after(() => local.stop());

  it('.submit() - awaitable future with result(), taskId and done()', async () => {
    const executor = new FuncXExecutor(fxc, { endpointId: local.endpointId });
    const future = executor.submit((x: number) => x * 2, 50);
    assert.match(future.taskId, /^[0-9a-f-]{36}$/);
    assert.equal(future.done(), false);
    assert.equal(await future.result(), 100);
    assert.equal(await future, 100);
    assert.equal(future.done(), true);
    await executor.shutdown();
  });

  it('.submit() - endpoint chosen per call', async () => {
    const executor = new FuncXExecutor(fxc);
    assert.throws(() => executor.submit((x: number) => x, 1), TypeError);
    assert.equal(await executor.submit({ endpointId: local.endpointId }, (x: number) => x + 1, 1), 2);
    await executor.shutdown();
  });

  it('.submit() - registers each function once', async () => {
    let registrations = 0;
    const counting = new FuncXClient({
      serviceUrl: local.url,
      token: local.token,
      fetch: (url, init) => {
        if (String(url).endsWith('/v2/functions')) registrations++;
        return fetch(url, init);
      },
    });
    const executor = new FuncXExecutor(counting, { endpointId: local.endpointId });
    const square = (x: number): number => x * x;
    const results = await Promise.all([1, 2, 3, 4].map((x) => executor.submit(square, x)));
    assert.deepEqual(results, [1, 4, 9, 16]);
    assert.equal(await executor.submit(square, 5), 25);
    assert.equal(registrations, 1);
    await executor.shutdown();
  });

  it('.cancel() - a queued future is cancelled and never posted', async () => {
    const executor = new FuncXExecutor(fxc, { endpointId: local.endpointId, batchInterval: 100 });
    const future = executor.submit((x: number) => x, 1);
    assert.equal(future.cancel(), true);
    await assert.rejects(future.result(), TaskCancelled);
    assert.equal(future.cancelled(), true);
    assert.equal(future.cancel(), false, 'a done future cannot be cancelled again');
    await executor.shutdown();
    assert.equal(executor.client.stats.posts, 0);
  });

  it('.shutdown() - refuses new work and cancels outstanding futures when asked', async () => {
    const executor = new FuncXExecutor(fxc, { endpointId: local.endpointId });
    const slow = executor.submit(async () => new Promise((resolve) => setTimeout(resolve, 60_000)));
    // Posted, so that the shutdown cancels it on the service, not in the batch buffer.
    await until(() => executor.client.stats.posts >= 1, 'the slow task posted');
    await executor.shutdown({ cancelFutures: true });
    await assert.rejects(slow.result(), TaskCancelled);
    assert.throws(() => executor.submit((x: number) => x, 1), FuncXError);
  });

  it('.map() - remote calls in input order with limited concurrency', async () => {
    const executor = new FuncXExecutor(fxc, { endpointId: local.endpointId });
    const delayedEcho = async (x: number): Promise<number> => {
      await new Promise((resolve) => setTimeout(resolve, (5 - x) * 30));
      return x;
    };
    const ordered = await lastValueFrom(from([1, 2, 3, 4]).pipe(executor.map(delayedEcho, { concurrency: 2 }), toArray()));
    assert.deepEqual(ordered, [1, 2, 3, 4]);
    const completion = await lastValueFrom(from([1, 2, 3, 4]).pipe(executor.map(delayedEcho, { order: 'completion' }), toArray()));
    assert.deepEqual([...completion].sort(), [1, 2, 3, 4]);
    await executor.shutdown();
  });
});
