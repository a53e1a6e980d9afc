import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TaskInputMissing } from '../../lib/errors/TaskInputMissing.js';
import { taskRef } from '../../lib/reactive/taskRef.js';
import { deserialize, packPayload, unpackPayload } from '../../lib/serialize/serialize.js';
import { markedTaskId, resolveTaskInputs, withTaskInputs } from '../../lib/serialize/taskInputs.js';

const A = '0e4c8f52-8d0a-4a8e-9a55-1d1f7c6f2a01';
const B = '7b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

test('packPayload() - a task reference anywhere in args and kwargs becomes its marker, and its id is noted', () => {
  const inputs = new Set<string>();
  const payload = packPayload([taskRef(A), [1, { deep: taskRef(B) }]], { k: taskRef(A.toUpperCase()) }, inputs);
  assert.deepEqual([...inputs].sort(), [A, B]);
  const { args, kwargs } = unpackPayload(payload);
  assert.deepEqual(args, [{ __funcx_rx_task__: A }, [1, { deep: { __funcx_rx_task__: B } }]]);
  assert.deepEqual(kwargs, { k: { __funcx_rx_task__: A } });
});

test('unpackPayload() - puts the inputs carried in the third buffer in place of their markers', () => {
  const payload = withTaskInputs(packPayload([taskRef(A), [taskRef(B)]], { k: { v: taskRef(A) } }), { [A]: '11\n4', [B]: '11\n{"x": 1}' });
  assert.deepEqual(unpackPayload(payload), { args: [4, [{ x: 1 }]], kwargs: { k: { v: 4 } } });
});

test('resolveTaskInputs() - reads each input once, leaves look-alikes with other keys, fails a missing input by name', () => {
  let reads = 0;
  const read = (buffer: string): unknown => {
    reads++;
    return deserialize(buffer);
  };
  const value = resolveTaskInputs([{ __funcx_rx_task__: A }, { __funcx_rx_task__: A }, { __funcx_rx_task__: A, other: 1 }], { [A]: '11\n[1]' }, read);
  assert.deepEqual(value, [[1], [1], { __funcx_rx_task__: A, other: 1 }]);
  assert.equal(reads, 1);
  assert.equal(value[0], value[1], 'the same value for each mention');
  assert.throws(() => resolveTaskInputs([{ __funcx_rx_task__: B }], {}, read), (e: unknown) => e instanceof TaskInputMissing && e.inputTaskId === B);
  assert.equal(markedTaskId({ __funcx_rx_task__: 3 }), null);
});
