import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import type { CliProcess } from '../support/cli.js';
import { FaultProxy } from '../support/FaultProxy.js';
import type { RedisServer } from '../support/redisServer.js';
import { countingReader } from '../support/countingReader.js';
import { startReplicaSet, stopReplicaSet } from '../support/replicaSet.js';
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

  before(async () => {
    const set = await startReplicaSet({ name: 'streaming', serveArgs: ['--max-unread-partials', '200'], balanced: true });
    ({ redis, token, endpoint, a, b, ep } = set);
    balancer = set.balancer!;
  });
  after(() => stopReplicaSet({ ep, a, b, balancer, redis }));

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
