import assert from 'node:assert/strict';
import { statusRank, type TaskStatus } from '../../lib/protocol/lifecycle.js';
import { after, before, describe, it } from 'node:test';
import { firstValueFrom, toArray } from 'rxjs';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { TaskExecutionFailed } from '../../lib/errors/TaskExecutionFailed.js';
import { startLocalService, type LocalService } from '../../lib/local/startLocalService.js';
import { until } from '../support/until.js';

describe('asynchronous client end to end', () => {
  let local: LocalService;
  before(async () => (local = await startLocalService({ workers: 2 })));
  after(() => local.stop());

  const client = (options: { batchInterval?: number } = {}): FuncXClient<true> =>
    new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true, ...options });

  it('should await a result', async () => {
    const fxc = client();
    const functionId = await fxc.registerFunction((x: number) => x * 2);
    const result: number = await fxc.run({ functionId, endpointId: local.endpointId }, 50);
    assert.equal(result, 100);
  });

  it('should be an Observable of one value', async () => {
    const fxc = client();
    const functionId = await fxc.registerFunction(async (s: string) => s.toUpperCase());
    const values = await firstValueFrom(fxc.run({ functionId, endpointId: local.endpointId }, 'rx').pipe(toArray()));
    assert.deepEqual(values, ['RX']);
  });

  it('should error with the remote exception', async () => {
    const fxc = client();
    const functionId = await fxc.registerFunction(() => {
      throw new TypeError('remote boom');
    });
    await assert.rejects(Promise.resolve(fxc.run({ functionId, endpointId: local.endpointId })), (error: unknown) => error instanceof TaskExecutionFailed && error.remoteName === 'TypeError');
  });

  it('should push statuses when asked: waiting-for-ep, then running, then success', async () => {
    const fxc = client();
    const functionId = await fxc.registerFunction(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return 'done';
    });
    const task = fxc.run({ functionId, endpointId: local.endpointId });
    const statuses = firstValueFrom(task.status$.pipe(toArray()));
    assert.equal(await task, 'done');
    const seen = await statuses;
    assert.equal(seen.at(-1), 'success');
    assert.ok(seen.includes('running'), `running was pushed: ${seen.join(' → ')}`);
    // Each status told once, each further on than the one before (the submit answer's
    // waiting-for-ep is skipped when the socket told waiting-for-nodes first).
    const rank = (status: string): number => (status === 'queued' ? -1 : statusRank(status as TaskStatus));
    seen.slice(1).forEach((status, i) => assert.ok(rank(status) > rank(seen[i]!), `in order: ${seen.join(' → ')}`));
  });

  it('should run 1,000 concurrent tasks over exactly one result socket, and leave none open', async () => {
    const fxc = client();
    const functionId = await fxc.registerFunction((x: number) => x + 1);
    const before = (await local.service.stats());
    const tasks = Array.from({ length: 1000 }, (_, i) => fxc.run({ functionId, endpointId: local.endpointId }, i));
    let peakOpen = 0;
    const sampler = setInterval(() => void local.service.stats().then((s) => (peakOpen = Math.max(peakOpen, s.result_websockets_open))), 5);
    const results = await Promise.all(tasks);
    clearInterval(sampler);
    assert.deepEqual(results, Array.from({ length: 1000 }, (_, i) => i + 1));
    const during = (await local.service.stats());
    assert.equal(during.result_websockets_total - before.result_websockets_total, 1, 'one socket was opened for all 1,000 tasks');
    assert.ok(peakOpen <= 1, `at most one socket open at once (saw ${peakOpen})`);
    await until(async () => (await local.service.stats()).result_websockets_open === 0, 'the service to see the socket closed');
    assert.equal((await local.service.stats()).result_websockets_open, 0, 'none open once every task settled');
  });

  it('should send 50 submissions made within one interval in one or two posts', async () => {
    const fxc = client({ batchInterval: 200 });
    const functionId = await fxc.registerFunction((x: number) => x);
    const before = (await local.service.stats()).submit_requests;
    await Promise.all(Array.from({ length: 50 }, (_, i) => fxc.run({ functionId, endpointId: local.endpointId }, i)));
    const posts = (await local.service.stats()).submit_requests - before;
    assert.ok(posts >= 1 && posts <= 2, `posts: ${posts}`);
    assert.equal(fxc.stats.posts, posts);
  });
});
