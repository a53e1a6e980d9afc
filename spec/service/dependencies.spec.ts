import { Redis } from 'ioredis';
import { MemoryBackend } from '../../lib/service/backends/memory/MemoryBackend.js';
import { RedisBackend } from '../../lib/service/backends/redis/RedisBackend.js';
import { dependencyContract } from '../support/dependencyContract.js';
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

// A real redis-server of the spec's own, one per test.
dependencyContract('redis', async () => {
  const server = await startRedisServer();
  const backend = await RedisBackend.connect(server.url);
  const raw = new Redis(server.url);
  return {
    backend,
    // Sets of dependants (`t:<id>:d`) and the index of waiting tasks.
    leftovers: async () => (await raw.keys(`${backend.prefix}t:*:d`)).length + (await raw.zcard(`${backend.prefix}deps`)),
    close: async () => {
      raw.disconnect();
      await backend.close();
      await server.stop();
    },
  };
});
