import { after } from 'node:test';
import { Redis } from 'ioredis';
import { v4 as uuidv4 } from 'uuid';
import { MemoryBackend } from '../../lib/service/backends/memory/MemoryBackend.js';
import { RedisBackend } from '../../lib/service/backends/redis/RedisBackend.js';
import { dependencyContract } from '../support/dependencyContract.js';
import { startRedisCluster, type RedisClusterServer } from '../support/redisCluster.js';
import { startRedisServer } from '../support/redisServer.js';

dependencyContract('memory', async () => {
  const backend = new MemoryBackend();
  return {
    backend,
    leftovers: async () => {
      const size = backend.tasks.dependencies.size;
      return size.inputs + size.waiting;
    },
    close: () => backend.close(),
  };
});

/** Sets of dependants (`t:<id>:d`) and the indexes of waiting tasks, under each user's hash tag, on each node. */
async function leftoversIn(nodes: readonly Redis[], prefix: string): Promise<number> {
  let left = 0;
  for (const raw of nodes) {
    const indexes = await raw.keys(`${prefix}{u:*}:deps`);
    for (const key of indexes) left += await raw.zcard(key);
    left += (await raw.keys(`${prefix}{u:*}:t:*:d`)).length;
  }
  return left;
}

// A real redis-server of the spec's own, one per test.
dependencyContract('redis', async () => {
  const server = await startRedisServer();
  const backend = await RedisBackend.connect(server.url);
  const raw = new Redis(server.url);
  return {
    backend,
    leftovers: () => leftoversIn([raw], backend.prefix),
    close: async () => {
      raw.disconnect();
      await backend.close();
      await server.stop();
    },
  };
});

// A real three-node Redis Cluster, started once for the file; each test has a key prefix of its own.
let cluster: Promise<RedisClusterServer> | undefined;
after(async () => (await cluster)?.stop());
dependencyContract('redis cluster', async () => {
  const server = await (cluster ??= startRedisCluster(3));
  const backend = await RedisBackend.connect(server.url, { prefix: `fx-${uuidv4()}:` });
  const nodes = server.nodes.map((node) => new Redis(node.url));
  return {
    backend,
    leftovers: () => leftoversIn(nodes, backend.prefix),
    close: async () => {
      for (const node of nodes) node.disconnect();
      await backend.close();
    },
  };
});
