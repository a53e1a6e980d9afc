import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import type { CliProcess } from '../support/cli.js';
import { FaultProxy } from '../support/FaultProxy.js';
import type { RedisServer } from '../support/redisServer.js';
import { startReplicaSet, stopReplicaSet } from '../support/replicaSet.js';
import { until } from '../support/until.js';

const TASKS = 400;
/** The service's default: failover must not wait for pings. */
const PING_MS = '10000';
/**
 * How soon after the kill every task must be done: the tasks the dead replica had handed out move
 * on after failoverMs (2 s by default), the rest of the run takes a few seconds here; before,
 * they waited for 3 ping intervals (30 s).
 */
const DONE_WITHIN_MS = 12_000;

/**
 * Failover: the endpoint reaches the replicas through a load balancer (a TCP proxy outside the
 * replicas' processes); the replica holding its socket is SIGKILLed mid-run and the balancer sends
 * the endpoint's reconnect to the other one. Work resumes within seconds, not ping intervals, and
 * every task ends once.
 */
describe('failover between replicas', () => {
  let redis: RedisServer;
  let token: string;
  let endpoint: { endpoint_id: string; secret: string };
  let a: CliProcess;
  let b: CliProcess;
  let ep: CliProcess;
  let balancer: FaultProxy;

  before(async () => {
    const set = await startReplicaSet({ name: 'failover', serveArgs: ['--ping-interval', PING_MS], balanced: true });
    ({ redis, token, endpoint, a, b, ep } = set);
    balancer = set.balancer!;
  });
  after(() => stopReplicaSet({ ep, a, b, balancer, redis }));

  it(`kill -9 of the endpoint's replica mid-run: the tasks it held move on within seconds, not ping intervals; each of ${TASKS} tasks ends once`, async () => {
    // A result the dying replica stored but had not yet published reaches no socket: the client's
    // idle sweep finds it (15 s by default). That is the client's net, not failover; the tasks the
    // dead replica held are not ended, so no sweep moves them: only failover does, within seconds.
    const fxc = new FuncXClient({ serviceUrl: a.info.url!, token, asynchronous: true, idleSweepMs: 2000 });
    try {
      const functionId = await fxc.registerFunction(async (x: number) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        return x * 2;
      });
      const seen = new Map<number, number>();
      const all = Promise.all(Array.from({ length: TASKS }, (_, i) => new Promise<void>((resolve, reject) => {
        fxc.run({ functionId, endpointId: endpoint.endpoint_id }, i).subscribe({
          next: (value) => {
            seen.set(i, (seen.get(i) ?? 0) + (value === i * 2 ? 1 : 1000));
          },
          error: reject,
          complete: resolve,
        });
      })));
      await until(() => seen.size >= 40, 'the first tasks done through replica B');
      balancer.retarget(a.info.url!);
      const killedAt = Date.now();
      await b.stop('SIGKILL');
      await all;
      const doneAfterMs = Date.now() - killedAt;
      assert.ok(doneAfterMs < DONE_WITHIN_MS, `every task done ${doneAfterMs} ms after the kill`);
      assert.equal(seen.size, TASKS, 'every task settled');
      assert.deepEqual([...seen.values()].filter((n) => n !== 1), [], 'each once, with the right value');
      console.log(`# failover: all ${TASKS} tasks done ${doneAfterMs} ms after kill -9 of the endpoint's replica`);
    } finally {
      await fxc.close();
    }
  });
});
