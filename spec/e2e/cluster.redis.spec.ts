import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { DependencyFailed } from '../../lib/errors/DependencyFailed.js';
import { call } from '../support/rawApi.js';
import { runCli, type CliProcess } from '../support/cli.js';
import type { RedisClusterServer } from '../support/redisCluster.js';
import { startReplicaSet, stopReplicaSet } from '../support/replicaSet.js';
import { until } from '../support/until.js';

const TASKS = 2_000;
const PING_MS = '300';

/**
 * Two `funcx-rx serve --redis redis-cluster://...` replicas on a real three-node Redis Cluster, the
 * client on A and the endpoint on B: every lifecycle script runs on its user's slot.
 */
describe('replicas on a Redis Cluster', () => {
  let redis: RedisClusterServer;
  let token: string;
  let operator: { token: string };
  let endpoint: { endpoint_id: string; secret: string };
  let a: CliProcess;
  let b: CliProcess;
  let ep: CliProcess;
  let fxc: FuncXClient<true>;
  const online = async (url: string) => (await call(url, 'GET', `/v2/endpoints/${endpoint.endpoint_id}/status`, { token })).body?.status === 'online';

  before(async () => {
    ({ redis, token, endpoint, a, b, ep } = await startReplicaSet({ name: 'cluster', cluster: true, serveArgs: ['--ping-interval', PING_MS] }));
    operator = (await runCli(['token', 'create', '--redis', redis.url, '--json', '--operator'])) as { token: string };
    await until(() => online(a.info.url!), 'the endpoint online as seen from replica A');
    fxc = new FuncXClient({ serviceUrl: a.info.url!, token, asynchronous: true, batchSize: 500 });
  });
  after(async () => {
    await fxc?.close();
    await stopReplicaSet({ ep, a, b, redis });
  });

  it(`should run ${TASKS} tasks and a dependency chain across the replicas, with the same totals from each`, async () => {
    const double = await fxc.registerFunction((x: number) => x * 2);
    const boom = await fxc.registerFunction((): number => {
      throw new Error('boom');
    });
    const target = { functionId: double, endpointId: endpoint.endpoint_id };
    const results = await Promise.all(Array.from({ length: TASKS }, (_, i) => fxc.run(target, i)));
    assert.deepEqual(results, Array.from({ length: TASKS }, (_, i) => i * 2));
    assert.equal(await fxc.run(target, fxc.run(target, fxc.run(target, 1))), 8, 'each link released by its input, on the other replica');
    await assert.rejects(fxc.run(target, fxc.run({ functionId: boom, endpointId: endpoint.endpoint_id })).asPromise(), (e: unknown) => e instanceof DependencyFailed);
    const [fromA, fromB] = await Promise.all([a, b].map(async (r) => (await call(r.info.url!, 'GET', '/v2/stats', { token: operator.token })).body));
    assert.equal(fromA.tasks_submitted, TASKS + 5);
    assert.deepEqual(fromA.tasks_by_status, fromB.tasks_by_status, 'the same totals from either replica');
    assert.equal(fromA.tasks_by_status.success, TASKS + 3);
  });

  it('should keep each user\'s task keys on one node, and the service\'s other keys spread over the nodes', async () => {
    const nodes = redis.nodes.map((node) => new Redis(node.url));
    try {
      const keys = await Promise.all(nodes.map((node) => node.keys('fx:*')));
      const tags = keys.map((onNode) => new Set(onNode.flatMap((key) => /^fx:\{u:([^}]+)\}:/.exec(key)?.[1] ?? [])));
      const users = new Set(tags.flatMap((onNode) => [...onNode]));
      assert.ok(users.size >= 1, 'the user\'s keys are tagged');
      for (const user of users) assert.equal(tags.filter((onNode) => onNode.has(user)).length, 1, `user ${user}'s keys on one node`);
      assert.ok(keys.filter((onNode) => onNode.length > 0).length >= 2, 'keys on more than one node');
    } finally {
      for (const node of nodes) node.disconnect();
    }
  });
});
