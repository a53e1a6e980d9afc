import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { LocalEndpoint } from '../../lib/local/LocalEndpoint.js';
import { MemoryBackend } from '../../lib/service/backends/memory/MemoryBackend.js';
import { RedisBackend } from '../../lib/service/backends/redis/RedisBackend.js';
import type { Backend } from '../../lib/service/core/Backend.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { createLogger } from '../../lib/service/log.js';
import { FaultyBackend, type FaultMode } from '../support/faultyBackend.js';
import { startRedisCluster } from '../support/redisCluster.js';
import { startRedisServer, type RedisServer } from '../support/redisServer.js';

/**
 * The use cases' contract under a failing store: whatever single call of a use case fails
 * (before its write reaches the store, or after, its answer lost), every task still ends, once,
 * with its result. Each case arms one fault, runs a batch of tasks through a real service,
 * endpoint process and client, and checks that the fault struck and nothing was stranded.
 */
const CASES: readonly { readonly method: string; readonly useCase: string; readonly drop?: boolean }[] = [
  { method: 'groups.claim', useCase: 'submit' },
  { method: 'submit', useCase: 'submit' },
  { method: 'queue.takeAndClaim', useCase: 'dispatch' },
  { method: 'functions.get', useCase: 'dispatch' },
  { method: 'report', useCase: 'report' },
  { method: 'queue.ack', useCase: 'report' },
  { method: 'bus.publishMany', useCase: 'report' },
  { method: 'groups.removeUndelivered', useCase: 'delivery' },
  { method: 'queue.release', useCase: 'reclaim', drop: true },
];
const MODES: readonly FaultMode[] = ['before', 'after'];
const TASKS = 8;

for (const kind of ['memory', 'redis', 'redis cluster'] as const) {
  describe(`fault injection - ${kind}: after any one failed call of a use case, no task is stranded`, () => {
    let redis: Pick<RedisServer, 'stop'> | undefined;
    let inner: Backend;
    let faulty: FaultyBackend;
    let service: FuncXService;
    let endpoint: LocalEndpoint;
    let fxc: FuncXClient<true>;
    let endpointId: string;
    let userId: string;
    /** The tasks every case so far ran: the user's counters must say exactly this after each. */
    let ran = 0;

    before(async () => {
      if (kind !== 'memory') {
        const server = kind === 'redis' ? await startRedisServer() : await startRedisCluster(3);
        redis = server;
        inner = await RedisBackend.connect(server.url, { logger: createLogger('silent') });
      } else {
        inner = new MemoryBackend();
      }
      faulty = new FaultyBackend(inner);
      // The injected faults are logged as warnings; the spec's output stays readable.
      service = await FuncXService.start({ backend: faulty.backend, rateLimit: false, pingIntervalMs: 1000, failoverMs: 800, logger: process.env.FAULT_LOG ?? 'silent' });
      const issued = await service.issueToken();
      const { token } = issued;
      userId = issued.userId;
      const registered = await service.registerEndpoint(userId, { name: 'faults' });
      endpointId = registered.endpointId;
      endpoint = await LocalEndpoint.start({ serviceUrl: service.url, endpointId, secret: registered.secret, workers: 2, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
      fxc = new FuncXClient({ serviceUrl: service.url, token, asynchronous: true, idleSweepMs: 300, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } }) as FuncXClient<true>;
    });
    after(async () => {
      await fxc?.close();
      await endpoint?.stop();
      await service?.close();
      await inner?.close();
      await redis?.stop();
    });

    for (const { method, useCase, drop } of CASES) {
      for (const mode of MODES) {
        it(`${useCase} - ${method} fails ${mode} its write: every task ends once, with its result`, async () => {
          // A function of its own: the endpoint connection looks each new one up (functions.get).
          const functionId = await fxc.registerFunction(async (x: number) => {
            await new Promise((resolve) => setTimeout(resolve, 20));
            return x * 3;
          });
          faulty.arm({ method, nth: 1, mode });
          const inputs = Array.from({ length: TASKS }, (_, i) => i);
          const results = Promise.all(inputs.map((x) => fxc.run({ functionId, endpointId }, x)));
          if (drop) {
            // A connection that closes gives back what it held: the fault strikes that give-back.
            await new Promise<void>((resolve) => setImmediate(resolve));
            service.dropEndpointSockets();
          }
          assert.deepEqual(await results, inputs.map((x) => x * 3));
          assert.ok(faulty.fired, `the fault on ${method} struck`);
          // The counters (and the quotas that read them) saw each task once, whatever failed.
          ran += TASKS;
          const stats = await service.stats(userId);
          assert.deepEqual(
            { outstanding: stats.tasks_outstanding, submitted: stats.tasks_submitted, success: stats.tasks_by_status.success },
            { outstanding: 0, submitted: ran, success: ran },
            'the user\'s counters after the fault',
          );
        });
      }
    }
  });
}
