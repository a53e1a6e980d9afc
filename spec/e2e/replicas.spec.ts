import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { call } from '../support/rawApi.js';
import { runCli, type CliProcess } from '../support/cli.js';
import type { RedisServer } from '../support/redisServer.js';
import { startReplicaSet, stopReplicaSet } from '../support/replicaSet.js';
import { until } from '../support/until.js';

const TASKS = 10_000;
const PING_MS = '300';

/** Two replicas on one Redis, each a real `funcx-rx serve --redis` process, and an endpoint process. */
describe('replicas on one Redis', () => {
  let redis: RedisServer;
  let user: { token: string };
  let operator: { token: string };
  let endpoint: { endpoint_id: string; secret: string };
  let a: CliProcess;
  let b: CliProcess;
  let ep: CliProcess;
  let replica: (port?: string) => Promise<CliProcess>;
  const online = async (url: string) => (await call(url, 'GET', `/v2/endpoints/${endpoint.endpoint_id}/status`, { token: user.token })).body?.status === 'online';

  before(async () => {
    let token: string;
    ({ redis, token, endpoint, a, b, ep, replica } = await startReplicaSet({ name: 'spec', serveArgs: ['--ping-interval', PING_MS] }));
    user = { token };
    operator = (await runCli(['token', 'create', '--redis', redis.url, '--json', '--operator'])) as { token: string };
    await until(() => online(a.info.url!), 'the endpoint online as seen from replica A');
  });
  after(() => stopReplicaSet({ ep, a, b, redis }));

  it(`${TASKS} tasks: the client on replica A, the endpoint on replica B; statistics are totals across replicas`, async () => {
    assert.equal(await online(b.info.url!), true);
    const fxc = new FuncXClient({ serviceUrl: a.info.url!, token: user.token, asynchronous: true, batchSize: 1000 });
    try {
      const functionId = await fxc.registerFunction((x: number) => x * 2);
      const results = await Promise.all(Array.from({ length: TASKS }, (_, i) => fxc.run({ functionId, endpointId: endpoint.endpoint_id }, i)));
      assert.deepEqual(results, Array.from({ length: TASKS }, (_, i) => i * 2));
    } finally {
      await fxc.close();
    }
    const [fromA, fromB] = await Promise.all([a, b].map(async (r) => (await call(r.info.url!, 'GET', '/v2/stats', { token: operator.token })).body));
    assert.ok(fromA.tasks_submitted >= TASKS);
    assert.equal(fromA.tasks_submitted, fromB.tasks_submitted, 'the same totals from either replica');
    assert.equal(fromA.tasks_by_status.success, fromB.tasks_by_status.success);
  });

  it(`durability: replica A (the client's) and then B (the endpoint's) SIGKILLed and restarted mid-run; ${TASKS} tasks settle exactly once`, async () => {
    const fxc = new FuncXClient({ serviceUrl: a.info.url!, token: user.token, asynchronous: true, batchSize: 1000 });
    try {
      const functionId = await fxc.registerFunction(async (x: number) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return x + 1;
      });
      const seen = new Map<number, number>();
      const settled = Array.from({ length: TASKS }, (_, i) => new Promise<void>((resolve, reject) => {
        fxc.run({ functionId, endpointId: endpoint.endpoint_id }, i).subscribe({
          next: (value) => seen.set(i, (seen.get(i) ?? 0) + (value === i + 1 ? 1 : 1000)),
          error: reject,
          complete: resolve,
        });
      }));
      const all = Promise.all(settled);
      await until(() => seen.size >= TASKS / 5, 'a fifth of the tasks done');
      const portA = new URL(a.info.url!).port;
      await a.stop('SIGKILL');
      a = await replica(portA);
      await until(() => seen.size >= TASKS / 2, 'half the tasks done, through the restarted replica A');
      const portB = new URL(b.info.url!).port;
      await b.stop('SIGKILL');
      b = await replica(portB);
      await all;
      assert.equal(seen.size, TASKS, 'every task settled');
      assert.deepEqual([...seen.values()].filter((n) => n !== 1), [], 'each once, with the right value');
    } finally {
      await fxc.close();
    }
    // Credentials are in the store: the same token and endpoint secret work after the restarts.
    assert.equal((await call(a.info.url!, 'GET', '/v2/authenticate', { token: user.token })).status, 200);
    await until(() => online(b.info.url!), 'the endpoint reconnected to the restarted replica B');
  });
});
