import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { runDir, startClusterEndpoint } from './support.js';

/** Task inputs on the cluster engine's path: the service → endpoint → interchange → a block's worker manager → its workers. */
describe('task inputs on the cluster engine (local provider)', { timeout: 60_000 }, () => {
  let service: FuncXService;
  let user: { userId: string; token: string };
  let fxc: FuncXClient<true>;
  let dir: Awaited<ReturnType<typeof runDir>>;
  before(async () => {
    service = await FuncXService.start();
    user = await service.issueToken();
    fxc = new FuncXClient({ serviceUrl: service.url, token: user.token, asynchronous: true });
    dir = await runDir();
  });
  after(async () => {
    await fxc?.close();
    await service?.close();
    await dir?.remove();
  });

  it('should reach the workers of a block\'s manager: double(double(double(1))) = 8 and a fan-in of 20', async () => {
    const ep = await startClusterEndpoint(service, user.userId, {
      provider: { type: 'local', minBlocks: 0, maxBlocks: 1 },
      workersPerNode: 2,
      pythonWorkersPerNode: 1,
      strategyPeriodMs: 250,
      heartbeatMs: 1000,
      maxIdleTimeMs: 1500,
      runDir: join(dir.path, 'inputs'),
    });
    try {
      const double = await fxc.registerFunction((x: number) => x * 2);
      const sum = await fxc.registerFunction((xs: number[]) => xs.reduce((a, b) => a + b, 0));
      const target = { functionId: double, endpointId: ep.endpointId };
      const chain = fxc.run(target, fxc.run(target, fxc.run(target, 1)));
      const fanIn = fxc.run({ functionId: sum, endpointId: ep.endpointId }, Array.from({ length: 20 }, (_, i) => fxc.run(target, i)));
      assert.deepEqual(await Promise.all([chain, fanIn]), [8, 380]);
    } finally {
      await ep.close();
    }
  });
});
