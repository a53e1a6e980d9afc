import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { call } from '../support/rawApi.js';
import type { CliProcess } from '../support/cli.js';
import type { RedisServer } from '../support/redisServer.js';
import { startReplicaSet, stopReplicaSet } from '../support/replicaSet.js';
import { until } from '../support/until.js';

/** 2,000 in CI; the outside check runs 10,000 (OUTAGE_TASKS=10000). */
const TASKS = Number(process.env.OUTAGE_TASKS ?? 2000);

/**
 * Redis itself SIGKILLed and restarted mid-run (append-only file, fsynced on every write): the
 * replicas answer 503 with Retry-After while it is away, clients and the endpoint retry, the
 * endpoint keeps its finished results and reports them afterwards. Nothing is lost, run twice or
 * left hanging, and both replicas stay up.
 */
describe('Redis SIGKILLed and restarted mid-run', () => {
  let redis: RedisServer;
  let token: string;
  let endpoint: { endpoint_id: string; secret: string };
  let a: CliProcess;
  let b: CliProcess;
  let ep: CliProcess;

  before(async () => {
    ({ redis, token, endpoint, a, b, ep } = await startReplicaSet({ name: 'outage', serveArgs: ['--ping-interval', '1000'], durable: true }));
  });
  after(() => stopReplicaSet({ ep, a, b, redis }));

  it(`${TASKS} tasks: 0 lost, 0 hung, 0 run twice, both replicas alive; the outage is answered 503 with Retry-After`, async () => {
    const fxc = new FuncXClient({ serviceUrl: a.info.url!, token, asynchronous: true, batchSize: 250, idleSweepMs: 1000, submitDeadlineMs: 60_000 });
    try {
      const functionId = await fxc.registerFunction(async (x: number) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return x + 7;
      });
      const seen = new Map<number, number>();
      const all = Promise.all(Array.from({ length: TASKS }, (_, i) => new Promise<void>((resolve, reject) => {
        fxc.run({ functionId, endpointId: endpoint.endpoint_id }, i).subscribe({
          next: (value) => seen.set(i, (seen.get(i) ?? 0) + (value === i + 7 ? 1 : 1000)),
          error: reject,
          complete: resolve,
        });
      })));
      await until(() => seen.size >= TASKS / 10, 'a tenth of the tasks done');
      await redis.kill();
      // While Redis is away a request the store must answer is refused with 503 and Retry-After, not 500 or a hang.
      const during = await call(a.info.url!, 'GET', `/v2/endpoints/${endpoint.endpoint_id}/status`, { token });
      assert.equal(during.status, 503, JSON.stringify(during.body));
      assert.equal(during.body?.code, 113);
      assert.ok(Number(during.headers['retry-after']) > 0, 'Retry-After');
      await redis.restart();
      await all;
      assert.equal(seen.size, TASKS, 'every task settled');
      assert.deepEqual([...seen.values()].filter((n) => n !== 1), [], 'each once, with the right value');
      assert.equal(a.child.exitCode, null, 'replica A alive');
      assert.equal(b.child.exitCode, null, 'replica B alive');
      const stats = await call(a.info.url!, 'GET', '/v2/stats', { token });
      assert.equal(stats.body?.total_function_invocations, TASKS, 'each task submitted once');
    } finally {
      await fxc.close();
    }
  });
});
