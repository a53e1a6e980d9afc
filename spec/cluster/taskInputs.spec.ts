import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { python } from '../../lib/client/PythonFunction.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { runDir, startClusterEndpoint } from './support.js';

/**
 * Task inputs and generators on the cluster engine's path: the service → endpoint → interchange →
 * a block's worker manager → its workers, and a generator's partials and credits back and forth.
 */
describe('task inputs and generators on the cluster engine (local provider)', { timeout: 60_000 }, () => {
  let service: FuncXService;
  let user: { userId: string; token: string };
  let fxc: FuncXClient<true>;
  let dir: Awaited<ReturnType<typeof runDir>>;
  let ep: Awaited<ReturnType<typeof startClusterEndpoint>>;
  before(async () => {
    service = await FuncXService.start({ maxUnreadPartials: 100 });
    user = await service.issueToken();
    fxc = new FuncXClient({ serviceUrl: service.url, token: user.token, asynchronous: true });
    dir = await runDir();
    ep = await startClusterEndpoint(service, user.userId, {
      provider: { type: 'local', minBlocks: 0, maxBlocks: 1 },
      workersPerNode: 2,
      pythonWorkersPerNode: 1,
      strategyPeriodMs: 250,
      heartbeatMs: 1000,
      maxIdleTimeMs: 60_000,
      runDir: join(dir.path, 'inputs'),
    });
  });
  after(async () => {
    await ep?.close();
    await fxc?.close();
    await service?.close();
    await dir?.remove();
  });

  it('should stream a JavaScript and a Python generator from a block\'s workers, far past the service\'s window of 100', async () => {
    const counting = await fxc.registerFunction(function* counting(n: number) {
      for (let i = 0; i < n; i++) yield i;
      return n;
    });
    const squares = await fxc.registerFunction(python<(n: number) => Generator<number, string>>`
      def squares(n):
          for i in range(n):
              yield i * i
          return "done"
    `);
    const seen: unknown[] = [];
    const task = fxc.run({ functionId: counting, endpointId: ep.endpointId }, 1000);
    await new Promise<void>((resolve, reject) => task.subscribe({ next: (v) => seen.push(v), error: reject, complete: resolve }));
    assert.deepEqual(seen, Array.from({ length: 1000 }, (_, i) => i), 'each once, in order');
    assert.equal(await task, 1000);
    const py: unknown[] = [];
    for await (const value of fxc.run({ functionId: squares, endpointId: ep.endpointId }, 300).partials()) py.push(value);
    assert.deepEqual(py, Array.from({ length: 300 }, (_, i) => i * i));
  });

  it('should reach the workers of a block\'s manager: double(double(double(1))) = 8 and a fan-in of 20', async () => {
    const double = await fxc.registerFunction((x: number) => x * 2);
    const sum = await fxc.registerFunction((xs: number[]) => xs.reduce((a, b) => a + b, 0));
    const target = { functionId: double, endpointId: ep.endpointId };
    const chain = fxc.run(target, fxc.run(target, fxc.run(target, 1)));
    const fanIn = fxc.run({ functionId: sum, endpointId: ep.endpointId }, Array.from({ length: 20 }, (_, i) => fxc.run(target, i)));
    assert.deepEqual(await Promise.all([chain, fanIn]), [8, 380]);
  });
});
