import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { firstValueFrom, toArray } from 'rxjs';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { FuncXError } from '../../lib/errors/FuncXError.js';
import { startLocalService, type LocalService } from '../../lib/local/startLocalService.js';
import { until } from '../support/until.js';

describe('client - what a browser app relies on', () => {
  let local: LocalService;
  before(async () => (local = await startLocalService({ workers: 2 })));
  after(() => local.stop());

  it('token - a function is called for each request and each socket open', async () => {
    const calls: string[] = [];
    const fxc = new FuncXClient({
      serviceUrl: local.url,
      asynchronous: true,
      token: async () => {
        calls.push('token');
        return local.token;
      },
    });
    const functionId = await fxc.registerFunction((x: number) => x + 1);
    assert.equal(calls.length, 1, 'one request, one call');
    assert.equal(await fxc.run({ functionId, endpointId: local.endpointId }, 1), 2);
    assert.equal(await fxc.run({ functionId, endpointId: local.endpointId }, 2), 3);
    // Each run: one submit post and one socket open (the socket closes when nothing is outstanding).
    assert.equal(fxc.stats.socketOpens, 2);
    assert.equal(calls.length, 1 + fxc.stats.posts + fxc.stats.socketOpens);
  });

  it('token - a refreshed token is the one sent', async () => {
    const other = await local.service.issueToken();
    let current = local.token;
    const fxc = new FuncXClient({ serviceUrl: local.url, token: () => current });
    assert.equal((await fxc.version()).api.length > 0, true);
    current = 'revoked';
    await assert.rejects(fxc.getTask('00000000-0000-4000-8000-000000000000'), (error: unknown) => (error as { code?: number }).code === 1);
    current = other.token;
    await assert.rejects(fxc.getTask('00000000-0000-4000-8000-000000000000'), (error: unknown) => (error as { code?: number }).code === 6);
  });

  it('token - a failing function rejects the call with FuncXError, its error as cause', async () => {
    const cause = new Error('the session expired');
    const fxc = new FuncXClient({ serviceUrl: local.url, token: () => Promise.reject(cause) });
    await assert.rejects(fxc.version(), (error: unknown) => error instanceof FuncXError && error.cause === cause && /`token` function failed: the session expired/.test(error.message));
    const empty = new FuncXClient({ serviceUrl: local.url, token: () => '' });
    await assert.rejects(empty.version(), /Expected the `token` function to give a non-empty string/);
    assert.throws(() => new FuncXClient({ serviceUrl: local.url, token: 42 as unknown as string }), /Expected `token` to be a string or a function/);
  });

  it('status$ - a late subscriber starts from the current status, then follows', async () => {
    const fxc = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true });
    const functionId = await fxc.registerFunction(async () => {
      await new Promise((resolve) => setTimeout(resolve, 600));
      return 'done';
    });
    const task = fxc.run({ functionId, endpointId: local.endpointId });
    // Subscribe only once the service already has the task running.
    await until(async () => (await fxc.getTask(task.taskId).catch(() => null))?.status === 'running', 'the task to run');
    assert.equal((await fxc.getTask(task.taskId)).status, 'running');
    const seen = firstValueFrom(task.status$.pipe(toArray()));
    assert.equal(await task, 'done');
    const statuses = await seen;
    assert.ok(statuses.includes('running'), `the late subscriber saw running: ${statuses.join(' → ')}`);
    assert.equal(statuses.at(-1), 'success');
    // A subscriber after the end gets the final status at once, then completion.
    assert.deepEqual(await firstValueFrom(task.status$.pipe(toArray())), ['success']);
  });

  it('views - asObservable is not a thenable, and its last unsubscribe cancels the task on the service', async () => {
    const fxc = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true });
    const functionId = await fxc.registerFunction(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5000));
      return 'too late';
    });
    const task = fxc.run({ functionId, endpointId: local.endpointId });
    const view = task.asObservable();
    assert.equal('then' in view, false, 'the async pipe and toSignal treat it as an Observable');
    const subscription = view.subscribe({ error: () => {} });
    await until(async () => (await fxc.getTask(task.taskId).catch(() => null))?.status === 'running', 'the task to run');
    subscription.unsubscribe();
    await until(async () => (await fxc.getTask(task.taskId)).status === 'cancelled', 'the last unsubscribe to cancel the task on the service');
    assert.equal((await fxc.getTask(task.taskId)).status, 'cancelled');
  });

  it('views - asPromise is a plain Promise; an awaitable task is unwrapped by async code unless wrapped', async () => {
    const fxc = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true });
    const functionId = await fxc.registerFunction((x: number) => x * 10);
    const task = fxc.run({ functionId, endpointId: local.endpointId }, 4);
    const promise = task.asPromise();
    assert.ok(promise instanceof Promise);
    assert.equal(await promise, 40);
    const unwrapped = await (async () => fxc.run({ functionId, endpointId: local.endpointId }, 5))();
    assert.equal(unwrapped, 50, 'the pitfall the docs describe: the task became its result');
    const { task: kept } = await (async () => ({ task: fxc.run({ functionId, endpointId: local.endpointId }, 6) }))();
    assert.equal(typeof kept.taskId, 'string');
    assert.equal(await kept, 60);
  });
});
