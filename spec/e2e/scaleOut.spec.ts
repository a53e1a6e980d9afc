import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { Endpoint } from '../../lib/endpoint/Endpoint.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { startCli, type CliProcess } from '../support/cli.js';
import { until } from '../support/until.js';

/** A task that takes a while and says which process ran it. */
async function whoRuns(x: number): Promise<{ x: number; pid: number }> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { x, pid: process.pid };
}

describe('endpoints scale out: several processes serve one endpoint id', () => {
  let service: FuncXService;
  let token: string;
  let endpointId: string;
  let secret: string;
  let remote: CliProcess;
  let local: Endpoint;
  before(async () => {
    service = await FuncXService.start();
    const user = await service.issueToken();
    token = user.token;
    ({ endpointId, secret } = await service.registerEndpoint(user.userId));
    // One endpoint process elsewhere and one here, each with one worker and a credit of one task.
    remote = await startCli(['endpoint', '--service', service.url, '--endpoint-id', endpointId, '--workers', '1', '--prefetch', '1'], { FUNCX_ENDPOINT_SECRET: secret });
    local = await Endpoint.start({ serviceUrl: service.url, endpointId, secret, workers: 1, prefetch: 1 });
  });
  after(async () => {
    await local?.close();
    await remote?.stop();
    await service?.close();
  });

  it('work goes to whichever process has a free worker; a killed one\'s tasks go to the other', async () => {
    const fxc = new FuncXClient({ serviceUrl: service.url, token, asynchronous: true });
    try {
      const functionId = await fxc.registerFunction(whoRuns);
      const first = await Promise.all(Array.from({ length: 12 }, (_, i) => fxc.run({ functionId, endpointId }, i)));
      const byPid = new Map<number, number>();
      for (const { pid } of first) byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
      assert.equal(byPid.size, 2, `both processes ran tasks: ${JSON.stringify([...byPid])}`);
      for (const [pid, n] of byPid) assert.ok(n >= 3, `process ${pid} ran ${n} of 12, not a fair share`);

      const second = Array.from({ length: 12 }, (_, i) => fxc.run({ functionId, endpointId }, 100 + i));
      const remotePid = remote.child.pid!;
      await until(() => local.load.running > 0, 'both busy');
      await remote.stop('SIGKILL');
      const results = await Promise.all(second);
      assert.deepEqual(results.map((r) => r.x), Array.from({ length: 12 }, (_, i) => 100 + i), 'every task settled with its value');
      assert.ok(results.some((r) => r.pid === process.pid), 'the survivor took over');
      assert.ok(results.every((r) => r.pid === process.pid || r.pid === remotePid));
    } finally {
      await fxc.close();
    }
  });
});
