import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { v4 as uuidv4 } from 'uuid';
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

test('RedisTaskBus - release gives back what a take whose answer was lost took', async () => {
  const server = await startRedisServer();
  const backend = await RedisBackend.connect(server.url);
  const raw = new Redis(server.url);
  try {
    const endpointId = uuidv4();
    const groupId = uuidv4();
    const queue = backend.bus.queue('alice', endpointId, 'replica-a/1');
    const tasks = ['t1', 't2', 't3'].map(() => ({ id: uuidv4(), ownerId: 'alice', groupId, functionId: uuidv4(), endpointId, payload: '11\n1', payloadDigest: 'd', status: 'waiting-for-ep' as const, result: null, exception: null, queuedAt: 1, completedAt: null }));
    await backend.groups.claim(groupId, 'alice', 1);
    await backend.submit(groupId, endpointId, tasks);
    assert.deepEqual((await queue.takeAndClaim(1)).map((t) => t.taskId), [tasks[0]!.id]);
    // The same consumer reads two more, and the answer never reaches the replica.
    await raw.xreadgroup('GROUP', 'endpoints', 'replica-a/1', 'COUNT', 2, 'STREAMS', `fx:{u:alice}:q:${endpointId}`, '>');
    assert.deepEqual((await queue.release()).map((t) => t.id).sort(), tasks.map((t) => t.id).sort());
    assert.deepEqual(await backend.bus.reclaim('alice', endpointId, () => false), [], 'nothing left pending');
    assert.equal(await raw.xlen(`fx:{u:alice}:q:${endpointId}`), 3, 'the old entries are deleted; each task is queued once again');
    assert.equal((await raw.xpending(`fx:{u:alice}:q:${endpointId}`, 'endpoints'))[0], 0);
  } finally {
    raw.disconnect();
    await backend.close();
    await server.stop();
  }
});

test('RedisCounters - a change made just before close is kept', async () => {
  const server = await startRedisServer();
  try {
    const user = uuidv4();
    const first = await RedisBackend.connect(server.url);
    first.counters.add(user, 'functions', 1);
    await first.close();
    const second = await RedisBackend.connect(server.url);
    try {
      assert.equal(await second.counters.of(user, 'functions'), 1);
    } finally {
      await second.close();
    }
  } finally {
    await server.stop();
  }
});
