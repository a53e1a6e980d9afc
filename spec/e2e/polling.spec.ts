import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { ServiceError } from '../../lib/errors/ServiceError.js';
import { TaskExecutionFailed } from '../../lib/errors/TaskExecutionFailed.js';
import { TaskPending } from '../../lib/errors/TaskPending.js';
import { TaskSubmissionFailed } from '../../lib/errors/TaskSubmissionFailed.js';
import { ErrorCode } from '../../lib/protocol/errorCodes.js';
import { startLocalService, type LocalService } from '../../lib/local/startLocalService.js';

async function pollResult(fxc: FuncXClient, taskId: string): Promise<{ result: unknown; pendingSeen: number }> {
  let pendingSeen = 0;
  for (;;) {
    try {
      return { result: await fxc.getResult(taskId), pendingSeen };
    } catch (error) {
      if (!(error instanceof TaskPending)) throw error;
      pendingSeen++;
      await sleep(20);
    }
  }
}

describe('polling client end to end (real service, endpoint and worker threads)', () => {
  let local: LocalService;
  let fxc: FuncXClient;
  before(async () => {
    local = await startLocalService({ workers: 2 });
    fxc = new FuncXClient({ serviceUrl: local.url, token: local.token });
  });
  after(() => local.stop());

  it('should run a function and poll through TaskPending to its result', async () => {
    const functionId = await fxc.registerFunction(async (x: number) => {
      const { setTimeout: wait } = await import('node:timers/promises');
      await wait(200);
      return x * 2;
    });
    const taskId = await fxc.run({ functionId, endpointId: local.endpointId }, 50);
    const { result, pendingSeen } = await pollResult(fxc, taskId);
    assert.equal(result, 100);
    assert.ok(pendingSeen >= 1, 'the task was seen pending at least once');
  });

  it('should report a pending task\'s status in TaskPending', async () => {
    const functionId = await fxc.registerFunction(async () => new Promise((resolve) => setTimeout(resolve, 300)));
    const taskId = await fxc.run({ functionId, endpointId: local.endpointId });
    await assert.rejects(fxc.getResult(taskId), (error: unknown) => error instanceof TaskPending && error.taskId === taskId && typeof error.status === 'string');
    await pollResult(fxc, taskId);
  });

  it('should run plain, arrow and method-shorthand functions with keyword arguments', async () => {
    function add(a: number, b: number): number {
      return a + b;
    }
    const shorthand = { scale(x: number, options?: { by: number }) { return x * (options?.by ?? 1); } }.scale;
    const plain = await fxc.registerFunction(add);
    const method = await fxc.registerFunction(shorthand);
    const t1 = await fxc.run({ functionId: plain, endpointId: local.endpointId }, 2, 3);
    const t2 = await fxc.run({ functionId: method, endpointId: local.endpointId, kwargs: { by: 10 } }, 4);
    const t3 = await fxc.run({ functionId: await fxc.registerFunction((x: number) => -x), endpointId: local.endpointId }, 9);
    assert.equal((await pollResult(fxc, t1)).result, 5);
    assert.equal((await pollResult(fxc, t2)).result, 40, 'kwargs arrive as one extra last argument');
    assert.equal((await pollResult(fxc, t3)).result, -9);
  });

  it('should raise the remote error with its name, message and stack', async () => {
    const functionId = await fxc.registerFunction(function explode(n: number) {
      throw new RangeError(`bad input ${n}`);
    });
    const taskId = await fxc.run({ functionId, endpointId: local.endpointId }, 7);
    await assert.rejects(pollResult(fxc, taskId), (error: unknown) => {
      assert.ok(error instanceof TaskExecutionFailed);
      assert.equal(error.remoteName, 'RangeError');
      assert.equal(error.remoteMessage, 'bad input 7');
      assert.match(error.remoteStack, /RangeError: bad input 7/);
      return true;
    });
  });

  it('should fail a function that is not self-contained with a clear message', async () => {
    const factor = 3;
    const functionId = await fxc.registerFunction((x: number) => x * factor);
    const taskId = await fxc.run({ functionId, endpointId: local.endpointId }, 2);
    await assert.rejects(pollResult(fxc, taskId), (error: unknown) => error instanceof TaskExecutionFailed && /factor/.test(error.remoteMessage) && /self-contained/.test(error.remoteMessage));
  });

  it('should submit a batch and read it back with getBatchResult', async () => {
    const functionId = await fxc.registerFunction((x: number) => x + 1);
    const batch = fxc.createBatch();
    for (const x of [1, 2, 3]) batch.add({ functionId, endpointId: local.endpointId }, x);
    const taskIds = await fxc.batchRun(batch);
    assert.equal(taskIds.length, 3);
    let results = await fxc.getBatchResult(taskIds);
    while (Object.values(results).some((r) => r.pending)) {
      await sleep(20);
      results = await fxc.getBatchResult(taskIds);
    }
    assert.deepEqual(
      taskIds.map((id) => { const r = results[id]!; return r.pending === false && r.status === 'success' ? r.result : 'not done'; }),
      [2, 3, 4],
    );
  });

  it('should keep a finished task readable (reading does not delete it)', async () => {
    const functionId = await fxc.registerFunction(() => 'kept');
    const taskId = await fxc.run({ functionId, endpointId: local.endpointId });
    await pollResult(fxc, taskId);
    assert.equal(await fxc.getResult(taskId), 'kept');
    assert.equal((await fxc.getTask(taskId)).status, 'success');
  });

  it('should refuse a submit to an unknown endpoint with its code', async () => {
    const functionId = await fxc.registerFunction(() => 1);
    await assert.rejects(fxc.run({ functionId, endpointId: '00000000-0000-4000-8000-000000000000' }), (error: unknown) => error instanceof TaskSubmissionFailed && error.code === ErrorCode.ENDPOINT_NOT_FOUND);
  });

  it('should hide a task from another user\'s token', async () => {
    const functionId = await fxc.registerFunction(() => 'secret');
    const taskId = await fxc.run({ functionId, endpointId: local.endpointId });
    const other = new FuncXClient({ serviceUrl: local.url, token: (await local.service.issueToken()).token });
    await assert.rejects(other.getTask(taskId), (error: unknown) => error instanceof ServiceError && error.code === ErrorCode.TASK_NOT_FOUND && error.httpStatus === 404);
    await assert.rejects(other.getResult(taskId), ServiceError);
  });

  it('should report the local endpoint online', async () => {
    assert.equal((await fxc.getEndpointStatus(local.endpointId)).status, 'online');
  });
});
