import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LanguageQueue } from '../../lib/endpoint/LanguageQueue.js';
import type { EndpointTaskMessage } from '../../lib/protocol/endpointChannel.js';
import { pack } from '../../lib/serialize/pack.js';
import { serializeFunction, serializePythonSource } from '../../lib/serialize/serialize.js';

const js = pack([serializeFunction(() => 1)]);
const py = pack([serializePythonSource('f', 'def f(): pass\n')]);
const task = (id: string, code: string): EndpointTaskMessage => ({ type: 'task', task_id: id, function_id: code === js ? 'j' : 'p', function_code: code, payload: '' });

test('.take() - the oldest task among the languages with room, first in first out within each', () => {
  const queue = new LanguageQueue();
  assert.equal(queue.add(task('j1', js)), 'javascript');
  assert.equal(queue.add(task('p1', py)), 'python');
  queue.add(task('j2', js));
  queue.add(task('p2', py));
  assert.deepEqual([queue.size, queue.count('javascript'), queue.count('python')], [4, 2, 2]);
  const all = () => true;
  const onlyPython = (language: string) => language === 'python';
  assert.equal(queue.take(onlyPython)?.task_id, 'p1', 'a Python task does not wait behind JavaScript tasks whose workers are busy');
  assert.equal(queue.take(all)?.task_id, 'j1');
  assert.equal(queue.take(all)?.task_id, 'j2');
  assert.equal(queue.take(() => false), undefined, 'nothing starts without room');
  assert.equal(queue.take(all)?.task_id, 'p2');
  assert.equal(queue.take(all), undefined);
});

test('.delete() and .has() - a cancelled task leaves its line', () => {
  const queue = new LanguageQueue();
  queue.add(task('p1', py));
  queue.add(task('j1', js));
  assert.ok(queue.has('p1'));
  assert.equal(queue.delete('p1'), true);
  assert.equal(queue.delete('p1'), false);
  assert.equal(queue.has('p1'), false);
  assert.equal(queue.take(() => true)?.task_id, 'j1');
  queue.add(task('j2', js));
  queue.clear();
  assert.equal(queue.size, 0);
});
