import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { v4 as uuidv4 } from 'uuid';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { LocalEndpoint } from '../../lib/local/LocalEndpoint.js';
import { RedisBackend } from '../../lib/service/backends/redis/RedisBackend.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { createLogger } from '../../lib/service/log.js';
import { startRedisServer, type RedisServer } from '../support/redisServer.js';

/** Log lines, parsed, as a replica writes them. */
class Lines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of String(chunk).split('\n')) if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }
}

/**
 * Poison from Redis: malformed JSON, valid JSON of the wrong shape, and messages of another
 * version, on every channel and stream a replica reads, while tasks run. Nothing crashes, no task
 * is lost, and each bad message is a log line naming where it came from.
 */
describe('poison messages on Redis', () => {
  let redis: RedisServer;
  let raw: Redis;
  const logs = new Lines();
  let backends: RedisBackend[];
  let services: FuncXService[];
  let endpoint: LocalEndpoint;
  let token: string;
  let endpointId: string;
  /** The endpoint's work queue: a stream under its owner's hash tag (docs/architecture.md). */
  let queueKey: string;

  before(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url);
    const log = createLogger('warn', {}, logs);
    // Two replicas: the client on one, the endpoint on the other, so that results and control
    // messages cross Redis.
    backends = [await RedisBackend.connect(redis.url, { logger: log }), await RedisBackend.connect(redis.url, { logger: log })];
    services = await Promise.all(backends.map((backend) => FuncXService.start({ backend, rateLimit: false, logger: log })));
    const issued = await services[0]!.issueToken();
    token = issued.token;
    const registered = await services[0]!.registerEndpoint(issued.userId, { name: 'poison' });
    endpointId = registered.endpointId;
    queueKey = `fx:{u:${issued.userId}}:q:${endpointId}`;
    endpoint = await LocalEndpoint.start({ serviceUrl: services[1]!.url, endpointId, secret: registered.secret, workers: 2 });
  });
  after(async () => {
    await endpoint?.stop();
    for (const service of services ?? []) await service.close();
    for (const backend of backends ?? []) await backend.close();
    raw?.disconnect();
    await redis?.stop();
  });

  it('should drop and log every bad message on every channel and stream, and lose no task', async () => {
    const groupId = uuidv4();
    const fxc = new FuncXClient({ serviceUrl: services[0]!.url, token, asynchronous: true, taskGroupId: groupId }) as FuncXClient<true>;
    try {
      const functionId = await fxc.registerFunction(async (x: number) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return x + 1;
      });
      // 300 in CI; the outside check runs 10,000 (POISON_TASKS=10000).
      const inputs = Array.from({ length: Number(process.env.POISON_TASKS ?? 300) }, (_, i) => i);
      const results = Promise.all(inputs.map((x) => fxc.run({ functionId, endpointId }, x)));
      const bad = ['not json{', '42', '"a string"', 'null', '[]', '{"type":"cancel"}', '{"type":"cancel","taskId":"not-a-uuid"}', '{"v":99,"kind":"from-the-future","taskId":1}'];
      const groupBad = [...bad, '{"o":"someone","f":[{"task_id":"x"},["not-a-uuid","running"],[1,2,3]]}', `{"o":"someone","f":[["${uuidv4()}","no-such-status"]],"v":2}`];
      const channels = [`fx:ctl:${endpointId}`, `fx:grp:${groupId}`, `fx:wake:${endpointId}`];
      let published = 0;
      for (let round = 0; round < 3; round++) {
        for (const channel of channels) for (const message of channel.includes(':grp:') ? groupBad : bad) published += await raw.publish(channel, message);
        // Entries no submit wrote, on the endpoint's queue.
        await raw.xadd(queueKey, '*', 't', 'not-a-task-id');
        await raw.xadd(queueKey, '*', 'x', 'y', 'z', 'w');
        await raw.xadd(queueKey, '*', 't', uuidv4());
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      assert.ok(published > 0, 'the replicas were subscribed and heard the poison');
      assert.deepEqual(await results, inputs.map((x) => x + 1), 'every task ended with its result');
      const dropped = logs.lines.filter((l) => typeof l.msg === 'string' && /^dropped /.test(l.msg));
      const where = new Set(dropped.map((l) => String(l.channel ?? l.stream)));
      assert.ok(where.has(`fx:ctl:${endpointId}`), 'control-channel poison logged with its channel');
      assert.ok(where.has(`fx:grp:${groupId}`), 'group-channel poison logged with its channel');
      assert.ok(where.has(queueKey), 'stream poison logged with its stream');
      assert.ok(dropped.length >= 3 * (bad.length + 2), `a log line per bad message (${dropped.length})`);
      // The replicas still serve: a task submitted after the poison runs.
      assert.equal(await fxc.run({ functionId, endpointId }, 41), 42);
    } finally {
      await fxc.close();
    }
  });
});
