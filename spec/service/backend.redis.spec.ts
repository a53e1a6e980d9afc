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
    const queue = backend.bus.queue(endpointId, 'replica-a/1');
    await backend.bus.dispatch(endpointId, ['t1', 't2', 't3']);
    assert.deepEqual((await queue.take(1)).map((t) => t.taskId), ['t1']);
    // The same consumer reads two more, and the answer never reaches the replica.
    await raw.xreadgroup('GROUP', 'endpoints', 'replica-a/1', 'COUNT', 2, 'STREAMS', `fx:q:${endpointId}`, '>');
    assert.deepEqual((await queue.release()).sort(), ['t1', 't2', 't3']);
    assert.deepEqual(await backend.bus.reclaim(endpointId, () => false), [], 'nothing left pending');
    assert.equal(await raw.xlen(`fx:q:${endpointId}`), 0, 'the entries are deleted');
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
