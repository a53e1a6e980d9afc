import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { TaskExecutionFailed } from '../../lib/errors/TaskExecutionFailed.js';
import { FuncXExecutor } from '../../lib/executor/FuncXExecutor.js';
import { startLocalService, type LocalService } from '../../lib/local/startLocalService.js';

describe('result size limit end to end', () => {
  let local: LocalService;
  let executor: FuncXExecutor;
  before(async () => {
    local = await startLocalService({ workers: 1 });
    executor = new FuncXExecutor(new FuncXClient({ serviceUrl: local.url, token: local.token }), { endpointId: local.endpointId });
  });
  after(async () => {
    await executor.shutdown();
    await local.stop();
  });

  it('a 70 MB result fails its task with a clear TaskExecutionFailed, and the endpoint goes on', async () => {
    await assert.rejects(
      async () => executor.submit(() => 'x'.repeat(70_000_000)),
      (error: unknown) =>
        error instanceof TaskExecutionFailed &&
        error.remoteName === 'ResultTooLarge' &&
        /^The task's result is 7000000\d bytes serialized, over the result limit of 10000000 bytes$/.test(error.remoteMessage),
    );
    assert.equal(await executor.submit((x: number) => x + 1, 41), 42);
    assert.equal(local.endpoint.restarts, 0, 'the endpoint process did not die');
  });

  it('a result just under the limit arrives whole', async () => {
    const value = await executor.submit(() => 'y'.repeat(9_000_000));
    assert.equal(value, 'y'.repeat(9_000_000));
  });
});
