import { RedisBackend } from '../../lib/service/backends/redis/RedisBackend.js';
import { backendContract } from '../support/backendContract.js';
import { startRedisServer } from '../support/redisServer.js';

// A real redis-server of the spec's own; two connections race like two replicas.
backendContract('redis', async () => {
  const server = await startRedisServer();
  const a = await RedisBackend.connect(server.url);
  const b = await RedisBackend.connect(server.url);
  return {
    a,
    b,
    close: async () => {
      await a.close();
      await b.close();
      await server.stop();
    },
  };
});
