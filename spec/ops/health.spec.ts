import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { createLogger } from '../../lib/service/log.js';
import { startRedisServer, type RedisServer } from '../support/redisServer.js';

const silent = createLogger('silent');

async function probe(url: string): Promise<{ status: number; retryAfter: string | null; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
}

describe('/healthz and /readyz', () => {
  it('should answer both without a token on the memory backend, which is always ready', async () => {
    const service = await FuncXService.start({ logger: silent });
    try {
      assert.deepEqual(await probe(`${service.url}/healthz`), { status: 200, retryAfter: null, body: { status: 'ok' } });
      assert.deepEqual(await probe(`${service.url}/readyz`), { status: 200, retryAfter: null, body: { status: 'ready' } });
    } finally {
      await service.close();
    }
  });

  describe('on Redis', () => {
    let redis: RedisServer;
    let service: FuncXService;

    before(async () => {
      redis = await startRedisServer();
      service = await FuncXService.start({ redis: redis.url, logger: silent, metrics: { port: 0 } });
    });

    after(async () => {
      await service?.close();
      await redis?.stop();
    });

    it('should be ready while Redis answers, and time its commands in the metrics', async () => {
      assert.deepEqual(await probe(`${service.url}/readyz`), { status: 200, retryAfter: null, body: { status: 'ready' } });
      const text = await (await fetch(service.metricsUrl!)).text();
      const ping = text.split('\n').find((line) => line.startsWith('funcx_redis_command_duration_seconds_count{command="ping"}'));
      assert.ok(ping !== undefined && Number(ping.split(' ')[1]) >= 1, `the readiness PING is timed: ${ping}`);
    });

    it('should answer /readyz 503 with code 113 and Retry-After once Redis is gone, while /healthz still answers 200', async () => {
      await redis.kill();
      const ready = await probe(`${service.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(ready.retryAfter, '2');
      assert.equal(ready.body.code, 113);
      // Which part says so first (a connection's state, or a PING without answer) depends on when ioredis sees the socket close.
      assert.match(String(ready.body.reason), /^Not ready: Redis /);
      assert.deepEqual(await probe(`${service.url}/healthz`), { status: 200, retryAfter: null, body: { status: 'ok' } });
      await redis.restart();
    });
  });
});
