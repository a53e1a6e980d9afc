import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBackend } from '../../lib/service/backends/memory/MemoryBackend.js';
import { MemoryTaskBus } from '../../lib/service/backends/memory/MemoryTaskBus.js';
import { backendContract } from '../support/backendContract.js';

// One process: both handles are the same backend, and racing calls interleave at every await.
backendContract('memory', async () => {
  const backend = new MemoryBackend();
  return { a: backend, b: backend, close: () => backend.close() };
});

test('MemoryTaskBus - a withdrawn task is not taken, and an empty queue with no consumer is dropped', async () => {
  const bus = new MemoryTaskBus();
  bus.enqueueNow('ep', ['t1', 't2']);
  await bus.withdraw('ep', 't1');
  await bus.withdraw('ep', 't2');
  assert.equal(bus.queues, 0, 'nothing left to keep');
  bus.enqueueNow('ep', ['t3', 't4']);
  await bus.withdraw('ep', 't3');
  const queue = bus.queue('alice', 'ep', 'c1');
  assert.deepEqual((await queue.take(10)).map((t) => t.taskId), ['t4']);
  // A bus with no task store has no task to requeue: the release only lets go.
  assert.deepEqual(await queue.release(), []);
  assert.equal(bus.queues, 0);
});
