import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { runCli, startCli, type CliProcess } from '../support/cli.js';
import { FaultProxy } from '../support/FaultProxy.js';
import { startRedisServer, type RedisServer } from '../support/redisServer.js';
import { countingReader } from '../support/countingReader.js';
import { until } from '../support/until.js';

const VALUES = 2000;

/**
 * Streaming results across a replica's death (docs/protocol-extensions.md §11): two `serve
 * --redis` replicas, the client on A, the endpoint reaching B through a load balancer (a TCP proxy
 * outside the replicas' processes). B is SIGKILLed while a generator streams through it; the
 * balancer sends the endpoint's reconnect to A. Every yielded value reaches the client once and in
 * order, and the task completes with the generator's return value.
 */
describe('streaming results, replicas on one Redis', () => {
  let redis: RedisServer;
  let token: string;
  let endpoint: { endpoint_id: string; secret: string };
  let a: CliProcess;
  let b: CliProcess;
  let ep: CliProcess;
  let balancer: FaultProxy;
  const replica = () => startCli(['serve', '--redis', redis.url, '--json', '--port', '0', '--max-unread-partials', '200']);

  before(async () => {
    redis = await startRedisServer();
    token = ((await runCli(['token', 'create', '--redis', redis.url, '--json'])) as { token: string }).token;
    endpoint = (await runCli(['endpoint-register', '--redis', redis.url, '--json', '--name', 'streaming'], { FUNCX_TOKEN: token })) as { endpoint_id: string; secret: string };
    [a, b] = await Promise.all([replica(), replica()]);
    balancer = await FaultProxy.start(b.info.url!);
    ep = await startCli(['endpoint', '--service', balancer.url, '--endpoint-id', endpoint.endpoint_id, '--workers', '2'], { FUNCX_ENDPOINT_SECRET: endpoint.secret });
  });
  after(async () => {
    await ep?.stop();
    await a?.stop();
    await b?.stop();
    await balancer?.close();
    await redis?.stop();
  });

  it(`kill -9 of the replica the endpoint streams through: each of ${VALUES} values arrives once, in order`, async () => {
    const fxc = new FuncXClient({ serviceUrl: a.info.url!, token, asynchronous: true });
    try {
      const functionId = await fxc.registerFunction(async function* ticking(n: number) {
        for (let i = 0; i < n; i++) {
          if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
          yield i;
        }
        return 'streamed';
      });
      const task = fxc.run({ functionId, endpointId: endpoint.endpoint_id }, VALUES);
      const { seen, outOfOrder, done } = countingReader(task);
      await until(() => seen.length >= 200, 'the first values through replica B');
      balancer.retarget(a.info.url!);
      await b.stop('SIGKILL');
      const killedAt = seen.length;
      await done;
      assert.ok(killedAt < VALUES, `B died mid-stream (at ${killedAt})`);
      console.log(`# streaming failover: B SIGKILLed after ${killedAt} of ${VALUES} values; all arrived once, in order`);
      assert.equal(outOfOrder(), 0, 'in order');
      assert.equal(seen.length, VALUES, 'each once');
      assert.equal(await task, 'streamed');
    } finally {
      await fxc.close();
    }
  });
});
