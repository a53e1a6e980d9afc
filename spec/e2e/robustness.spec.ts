import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '../support/until.js';
import { timeout } from 'rxjs';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { TaskCancelled } from '../../lib/errors/TaskCancelled.js';
import { TaskExecutionFailed } from '../../lib/errors/TaskExecutionFailed.js';
import { startLocalService, type LocalService } from '../../lib/local/startLocalService.js';

describe('robustness end to end', () => {
  let local: LocalService;
  before(async () => (local = await startLocalService({ workers: 1, taskTimeoutMs: 5_000 })));
  after(() => local.stop());

  const client = (extra: Partial<ConstructorParameters<typeof FuncXClient>[0]> = {}): FuncXClient<true> =>
    new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true, reconnect: { initialDelayMs: 20, maxDelayMs: 100 }, ...extra }) as FuncXClient<true>;

  const slowEcho = async (x: number): Promise<number> => {
    await new Promise((resolve) => setTimeout(resolve, 30));
    return x;
  };

  for (const [what, drop] of [
    ['an abnormal close (1006)', (l: LocalService) => l.service.dropResultSockets()],
    ['a clean server close (1000)', (l: LocalService) => l.service.dropResultSockets(1000)],
    ['a going-away close (1001)', (l: LocalService) => l.service.dropResultSockets(1001)],
  ] as const) {
    it(`should reconnect after ${what} and receive every result`, async () => {
      const fxc = client();
      const functionId = await fxc.registerFunction(slowEcho);
      const tasks = Array.from({ length: 12 }, (_, i) => fxc.run({ functionId, endpointId: local.endpointId }, i));
      await until(() => fxc.stats.socketOpens >= 1, 'the result socket open');
      drop(local);
      await until(() => fxc.stats.socketOpens >= 2, 'the result socket reopened');
      drop(local);
      assert.deepEqual(await Promise.all(tasks), Array.from({ length: 12 }, (_, i) => i));
      assert.ok(fxc.stats.socketOpens >= 2, `reopened (${fxc.stats.socketOpens} opens)`);
    });
  }

  it('should retry a submit whose answer was lost, and the service runs each task once', async () => {
    // The task ids of each submit post whose answer came back (the first is then lost).
    const posts: string[][] = [];
    const fxc = client({
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        if (String(url).endsWith('/v2/submit')) {
          posts.push((JSON.parse(String(init?.body)) as { tasks: string[][] }).tasks.map((t) => t[3]!).sort());
          if (posts.length === 1) throw new TypeError('socket hang up (answer lost after the service accepted)');
        }
        return response;
      },
    });
    const functionId = await fxc.registerFunction((x: number) => x + 100);
    const before = (await local.service.stats()).tasks_submitted;
    const tasks = [1, 2, 3].map((x) => fxc.run({ functionId, endpointId: local.endpointId }, x));
    assert.deepEqual(await Promise.all(tasks), [101, 102, 103]);
    // The results may arrive over the socket before the retry is even sent: wait for the retry.
    await until(() => posts.length >= 2, 'the retried post');
    // No third post of the batch: a witness task, run after the retry was answered, makes the next
    // post; once its post is answered too, the batch went out exactly twice.
    const witness = fxc.run({ functionId, endpointId: local.endpointId }, 4);
    assert.equal(await witness, 104);
    await until(() => posts.some((ids) => ids.includes(witness.taskId)), 'the witness\'s post answered');
    const batch = tasks.map((t) => t.taskId).sort();
    assert.deepEqual(posts, [batch, batch, [witness.taskId]], 'one lost answer, one retry, then the witness\'s post');
    assert.equal((await local.service.stats()).tasks_submitted - before, 3 + 1, 'the retry did not submit the tasks again');
  });

  it('should let a new client reattach to a task group and settle finished and running tasks', async () => {
    const first = client();
    const functionId = await first.registerFunction(slowEcho);
    const done = first.run({ functionId, endpointId: local.endpointId }, 1);
    await done;
    const running = first.run({ functionId, endpointId: local.endpointId }, 2);
    await until(() => running.status !== 'queued', 'the second task to be posted');
    const second = client();
    const tasks = await second.reattach<number>(first.taskGroupId);
    assert.deepEqual(tasks.map((t) => t.taskId), [done.taskId, running.taskId]);
    assert.deepEqual(await Promise.all(tasks), [1, 2]);
  });

  const spin = (): never => {
    for (;;) { /* never returns */ }
  };

  for (const [how, cancel] of [
    ['task.cancel()', (task: { cancel(): void }) => task.cancel()],
    ['an AbortSignal', (_task: unknown, controller: AbortController) => controller.abort(new Error('user gave up'))],
  ] as const) {
    it(`should cancel a running infinite loop through ${how}, and its worker serves the next task`, async () => {
      const fxc = client();
      const spinId = await fxc.registerFunction(spin);
      const echoId = await fxc.registerFunction((x: string) => x);
      const controller = new AbortController();
      const task = fxc.run({ functionId: spinId, endpointId: local.endpointId, signal: controller.signal });
      await until(async () => (await fxc.getTask(task.taskId).catch(() => null))?.status === 'running', 'the loop to run');
      cancel(task, controller);
      await assert.rejects(Promise.resolve(task), TaskCancelled);
      await until(async () => (await fxc.getTask(task.taskId)).status === 'cancelled', 'the service to record the cancel');
      assert.equal(await fxc.run({ functionId: echoId, endpointId: local.endpointId }, 'worker freed'), 'worker freed');
    });
  }

  it('should cancel a task when its last subscriber unsubscribes (an RxJS timeout)', async () => {
    const fxc = client();
    const spinId = await fxc.registerFunction(spin);
    const task = fxc.run({ functionId: spinId, endpointId: local.endpointId });
    await assert.rejects(new Promise((resolve, reject) => task.pipe(timeout(300)).subscribe({ next: resolve, error: reject })), { name: 'TimeoutError' });
    await until(async () => (await fxc.getTask(task.taskId)).status === 'cancelled', 'the unsubscribe to cancel the task');
  });

  it('should fail a task that runs past the endpoint\'s time limit with TaskTimeout', async () => {
    const fxc = client();
    const spinId = await fxc.registerFunction(spin);
    await assert.rejects(Promise.resolve(fxc.run({ functionId: spinId, endpointId: local.endpointId })), (error: unknown) => error instanceof TaskExecutionFailed && error.remoteName === 'TaskTimeout');
  });

  it('should fail a task whose worker dies, and go on serving', async () => {
    const fxc = client();
    const exitId = await fxc.registerFunction(() => process.exit(1));
    await assert.rejects(Promise.resolve(fxc.run({ functionId: exitId, endpointId: local.endpointId })), (error: unknown) => error instanceof TaskExecutionFailed && error.remoteName === 'WorkerCrashed');
    assert.equal(await fxc.run({ functionId: await fxc.registerFunction(() => 'alive'), endpointId: local.endpointId }), 'alive');
  });

  it('close({ cancel: true }) - settles every outstanding task and leaves no socket open', async () => {
    const fxc = client();
    const spinId = await fxc.registerFunction(spin);
    const task = fxc.run({ functionId: spinId, endpointId: local.endpointId });
    await until(async () => (await fxc.getTask(task.taskId).catch(() => null))?.status === 'running', 'the loop to run');
    await fxc.close({ cancel: true });
    await assert.rejects(Promise.resolve(task), TaskCancelled);
    assert.equal(fxc.stats.outstanding, 0);
    await until(async () => (await local.service.stats()).result_websockets_open === 0, 'the socket to close');
  });
});
