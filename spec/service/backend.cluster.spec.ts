import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClusterUrl, redactUrl } from '../../lib/service/backends/redis/openRedis.js';
import { createLogger } from '../../lib/service/log.js';
import { freePort } from '../support/freePort.js';
import { RedisBackend } from '../../lib/service/backends/redis/RedisBackend.js';
import { backendContract } from '../support/backendContract.js';
import { startRedisCluster } from '../support/redisCluster.js';

// A real three-node Redis Cluster of the spec's own: every lifecycle script must find all its
// keys on one slot (one hash tag per user), or Redis refuses it with CROSSSLOT.
backendContract('redis cluster', async () => {
  const cluster = await startRedisCluster(3);
  const a = await RedisBackend.connect(cluster.url);
  const b = await RedisBackend.connect(cluster.url);
  return {
    a,
    b,
    close: async () => {
      await a.close();
      await b.close();
      await cluster.stop();
    },
  };
});

test('parseClusterUrl - reads seed nodes and credentials, and names what is wrong', () => {
  assert.deepEqual(parseClusterUrl('redis-cluster://10.0.0.2:7000,[::1]:7001'), { nodes: [{ host: '10.0.0.2', port: 7000 }, { host: '::1', port: 7001 }] });
  assert.deepEqual(parseClusterUrl('redis-cluster://ops:p%40ss@h1:7000,h2:7000/'), { nodes: [{ host: 'h1', port: 7000 }, { host: 'h2', port: 7000 }], username: 'ops', password: 'p@ss' });
  assert.throws(() => parseClusterUrl('redis-cluster://'), /names its nodes/);
  assert.throws(() => parseClusterUrl('redis-cluster://:secret@h1'), (e: unknown) => e instanceof Error && /"h1" .* is not host:port/.test(e.message) && !e.message.includes('secret'));
  assert.equal(redactUrl('redis-cluster://ops:secret@h1:7000,h2:7000'), 'redis-cluster://ops:redacted@h1:7000,h2:7000');
});

test('RedisBackend.connect - a Redis Cluster URL whose nodes do not answer fails with a clear error, not a hang', async () => {
  const port = await freePort();
  await assert.rejects(RedisBackend.connect(`redis-cluster://127.0.0.1:${port}`, { logger: createLogger('silent') }), (e: unknown) => e instanceof Error && e.message.startsWith(`Cannot reach Redis at redis-cluster://127.0.0.1:${port}`));
});
