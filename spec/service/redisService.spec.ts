import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { call } from '../support/rawApi.js';
import { reportedTogether } from '../support/reportedTogether.js';
import { startRedisServer, type RedisServer } from '../support/redisServer.js';

describe('service on Redis - what replicas share', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedisServer();
  });
  after(() => redis.stop());

  it('a per-user rate limit holds across replicas', async () => {
    const options = { redis: redis.url, rateLimit: { max: 5, windowMs: 60_000 } };
    const [a, b] = await Promise.all([FuncXService.start(options), FuncXService.start(options)]);
    try {
      const { token } = await a.issueToken();
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await call(i % 2 ? b.url : a.url, 'GET', '/v2/authenticate', { token })).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('tokens and endpoints outlive the replica that made them; a revoked token is refused by every replica', async () => {
    const first = await FuncXService.start({ redis: redis.url });
    const { userId, token } = await first.issueToken();
    const { endpointId } = await first.registerEndpoint(userId);
    await first.close();
    const second = await FuncXService.start({ redis: redis.url });
    const third = await FuncXService.start({ redis: redis.url });
    try {
      assert.equal((await call(second.url, 'GET', '/v2/authenticate', { token })).status, 200);
      assert.equal((await call(second.url, 'GET', `/v2/endpoints/${endpointId}/status`, { token })).body.status, 'offline');
      assert.ok(await second.revokeToken(token));
      assert.equal((await call(third.url, 'GET', '/v2/authenticate', { token })).status, 401);
    } finally {
      await Promise.all([second.close(), third.close()]);
    }
  });

  it('statuses and results in one frame, the endpoint on one replica and the client on another', async () => {
    const [a, b] = await Promise.all([FuncXService.start({ redis: redis.url }), FuncXService.start({ redis: redis.url })]);
    try {
      await reportedTogether(a, b);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
