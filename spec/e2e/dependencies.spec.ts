import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { filter, firstValueFrom, toArray } from 'rxjs';
import { v4 as uuidv4 } from 'uuid';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { DependencyFailed } from '../../lib/errors/DependencyFailed.js';
import { TaskCancelled } from '../../lib/errors/TaskCancelled.js';
import { TaskSubmissionFailed } from '../../lib/errors/TaskSubmissionFailed.js';
import { FuncXExecutor } from '../../lib/executor/FuncXExecutor.js';
import type { AsyncTask } from '../../lib/reactive/AsyncTask.js';
import { startLocalService, type LocalService } from '../../lib/local/startLocalService.js';
import { ErrorCode } from '../../lib/protocol/errorCodes.js';
import { taskRef } from '../../lib/reactive/taskRef.js';
import { until } from '../support/until.js';

/** Resolves when the task's client status reaches `status`. */
const reached = <T>(task: AsyncTask<T>, status: string): Promise<unknown> => firstValueFrom(task.status$.pipe(filter((s) => s === status)));

describe('tasks that wait for tasks (memory backend)', () => {
  let local: LocalService;
  let fxc: FuncXClient<true>;
  before(async () => {
    local = await startLocalService({ workers: 2 });
    fxc = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true });
  });
  after(async () => {
    await fxc.close();
    await local.stop();
  });

  it('should run double(double(double(1))) = 8, each task taking the previous AsyncTask', async () => {
    const functionId = await fxc.registerFunction((x: number) => x * 2);
    const target = { functionId, endpointId: local.endpointId };
    const first = fxc.run(target, 1);
    const second = fxc.run(target, first);
    const third = fxc.run(target, second);
    const statuses = firstValueFrom(third.status$.pipe(toArray()));
    assert.equal(await third, 8);
    assert.equal(await second, 4);
    const seen = await statuses;
    assert.equal(seen[1], 'waiting-for-deps', `accepted waiting for its input: ${seen.join(' → ')}`);
    assert.ok(seen.indexOf('waiting-for-ep') > 1 || seen.includes('running'), `released after: ${seen.join(' → ')}`);
    assert.equal(seen.at(-1), 'success');
  });

  it('should run a diamond, with inputs nested in arrays and objects, in args and kwargs', async () => {
    const inc = await fxc.registerFunction((x: number) => x + 1);
    const combine = await fxc.registerFunction((pair: [number, number], extra?: { by: { value: number } }) => (pair[0] + pair[1]) * extra!.by.value);
    const top = fxc.run({ functionId: inc, endpointId: local.endpointId }, 1); // 2
    const left = fxc.run({ functionId: inc, endpointId: local.endpointId }, top); // 3
    const right = fxc.run({ functionId: inc, endpointId: local.endpointId }, top); // 3
    const bottom = fxc.run({ functionId: combine, endpointId: local.endpointId, kwargs: { by: { value: top } } }, [left, right]);
    assert.equal(await bottom, (3 + 3) * 2);
  });

  it('should fail dependants recursively with DependencyFailed naming each one\'s input', async () => {
    const boom = await fxc.registerFunction((): number => {
      throw new RangeError('input boom');
    });
    const inc = await fxc.registerFunction((x: number) => x + 1);
    const a = fxc.run({ functionId: boom, endpointId: local.endpointId });
    const b = fxc.run({ functionId: inc, endpointId: local.endpointId }, a);
    const c = fxc.run({ functionId: inc, endpointId: local.endpointId }, b);
    await assert.rejects(a.asPromise(), (e: unknown) => !(e instanceof DependencyFailed));
    await assert.rejects(b.asPromise(), (e: unknown) => e instanceof DependencyFailed && e.inputTaskId === a.taskId && /ended as failed/.test(e.remoteMessage));
    await assert.rejects(c.asPromise(), (e: unknown) => e instanceof DependencyFailed && e.inputTaskId === b.taskId);
    assert.equal((await fxc.getTask(c.taskId)).status, 'failed');
  });

  it('should end what waits on a cancelled task, and cancel a waiting task itself', async () => {
    const hang = await fxc.registerFunction(() => new Promise<number>(() => undefined));
    const inc = await fxc.registerFunction((x: number) => x + 1);
    const a = fxc.run({ functionId: hang, endpointId: local.endpointId });
    const b = fxc.run({ functionId: inc, endpointId: local.endpointId }, a);
    const c = fxc.run({ functionId: inc, endpointId: local.endpointId }, b);
    await reached(c, 'waiting-for-deps');
    await reached(a, 'running');
    a.cancel();
    await assert.rejects(a.asPromise(), (e: unknown) => e instanceof TaskCancelled);
    await assert.rejects(b.asPromise(), (e: unknown) => e instanceof DependencyFailed && e.inputTaskId === a.taskId && /was cancelled/.test(e.remoteMessage));
    await assert.rejects(c.asPromise(), (e: unknown) => e instanceof DependencyFailed && e.inputTaskId === b.taskId);

    const d = fxc.run({ functionId: hang, endpointId: local.endpointId });
    const e = fxc.run({ functionId: inc, endpointId: local.endpointId }, d);
    const f = fxc.run({ functionId: inc, endpointId: local.endpointId }, e);
    await reached(f, 'waiting-for-deps');
    e.cancel();
    await assert.rejects(e.asPromise(), (err: unknown) => err instanceof TaskCancelled);
    await assert.rejects(f.asPromise(), (err: unknown) => err instanceof DependencyFailed && err.inputTaskId === e.taskId);
    d.cancel();
    await assert.rejects(d.asPromise(), (err: unknown) => err instanceof TaskCancelled);
  });

  it('should show a task followed by id (reattach) as waiting-for-deps while its input runs', async () => {
    const hang = await fxc.registerFunction(() => new Promise<number>(() => undefined));
    const inc = await fxc.registerFunction((x: number) => x + 1);
    const a = fxc.run({ functionId: hang, endpointId: local.endpointId });
    const b = fxc.run({ functionId: inc, endpointId: local.endpointId }, a);
    await reached(b, 'waiting-for-deps');
    const other = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true });
    try {
      const [followed] = other.watch([b.taskId], fxc.taskGroupId);
      await reached(followed!, 'waiting-for-deps');
      assert.equal(followed!.status, 'waiting-for-deps');
      a.cancel();
      await assert.rejects(followed!.asPromise(), (e: unknown) => e instanceof DependencyFailed);
      await assert.rejects(b.asPromise(), (e: unknown) => e instanceof DependencyFailed);
    } finally {
      a.cancel(); // closing waits for the followed task: it must end
      await other.close();
    }
  });

  it('should refuse another user\'s task as an input, and an unknown id, per task', async () => {
    const inc = await fxc.registerFunction((x: number) => x + 1);
    const mine = fxc.run({ functionId: inc, endpointId: local.endpointId }, 1);
    assert.equal(await mine, 2);
    const bob = await local.service.issueToken();
    const bobs = new FuncXClient({ serviceUrl: local.url, token: bob.token });
    const bobInc = await bobs.registerFunction((x: number) => x + 1);
    const registered = await fetch(`${local.url}/v2/endpoints`, { method: 'POST', headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ endpoint_name: 'bob-ep' }) });
    const { endpoint_id: bobEndpoint } = (await registered.json()) as { endpoint_id: string };
    await assert.rejects(bobs.run({ functionId: bobInc, endpointId: bobEndpoint }, taskRef(mine.taskId)), (e: unknown) => e instanceof TaskSubmissionFailed && e.code === ErrorCode.DEPENDENCY_NOT_FOUND && e.message.includes(mine.taskId) && /no task of yours/.test(e.message));
    const unknown = uuidv4();
    await assert.rejects(fxc.run({ functionId: inc, endpointId: local.endpointId }, taskRef(unknown)).asPromise(), (e: unknown) => e instanceof TaskSubmissionFailed && e.code === ErrorCode.DEPENDENCY_NOT_FOUND && e.message.includes(unknown));
  });

  it('should take a task reference by id on the polling client', async () => {
    const polling = new FuncXClient({ serviceUrl: local.url, token: local.token });
    const inc = await polling.registerFunction((x: number) => x + 1);
    const a = await polling.run({ functionId: inc, endpointId: local.endpointId }, 41);
    const b = await polling.run({ functionId: inc, endpointId: local.endpointId }, taskRef(a));
    await until(async () => (await polling.getTask(b)).status === 'success', 'the dependant to run');
    assert.equal(await polling.getResult(b), 43, 'waits, then runs on the input');
    const batch = polling.createBatch().add({ functionId: inc, endpointId: local.endpointId }, taskRef(b)).add({ functionId: inc, endpointId: local.endpointId }, taskRef(a));
    const [c, d] = await polling.batchRun(batch);
    await until(async () => (await polling.getTask(c!)).status === 'success' && (await polling.getTask(d!)).status === 'success', 'the batch\'s dependants to run');
    assert.deepEqual([await polling.getResult(c!), await polling.getResult(d!)], [44, 43], 'a batch\'s tasks take their inputs too');
  });

  it('should run the executor with futures as arguments', async () => {
    const executor = new FuncXExecutor(fxc, { endpointId: local.endpointId });
    const double = (x: number): number => x * 2;
    const add = (a: number, b: number): number => a + b;
    const one = executor.submit(double, 1);
    const two = executor.submit(double, one);
    const sum = executor.submit(add, one, two);
    assert.equal(await sum.result(), 2 + 4);
    await executor.shutdown();
  });

  it('should fan out one input to 10,000 dependants, and fan 10,000 inputs into one', async () => {
    const inc = await fxc.registerFunction((x: number) => x + 1);
    const sum = await fxc.registerFunction((xs: number[]) => xs.reduce((a, b) => a + b, 0));
    const target = { functionId: inc, endpointId: local.endpointId };
    const waitingBefore = (await local.service.stats()).tasks_by_status['waiting-for-deps'];
    const started = Date.now();
    const root = fxc.run(target, 0);
    const fanned = Array.from({ length: 10_000 }, () => fxc.run(target, root));
    const total = fxc.run({ functionId: sum, endpointId: local.endpointId }, fanned);
    assert.equal(await total, 10_000 * 2);
    const seconds = (Date.now() - started) / 1000;
    console.log(`fan-out/fan-in of 10,002 tasks: ${seconds.toFixed(1)} s`);
    const stats = await local.service.stats();
    assert.equal(stats.tasks_by_status['waiting-for-deps'], waitingBefore, 'nothing left waiting');
  });
});
