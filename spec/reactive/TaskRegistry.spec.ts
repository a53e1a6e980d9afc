import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { TaskRegistry } from '../../lib/reactive/TaskRegistry.js';
import { TaskState } from '../../lib/reactive/TaskState.js';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

describe('TaskRegistry', () => {
  it('should tell onFirst when the first task is added and onLast when the last one settles, each once per busy spell', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const hooks = new Subject<string>();
      const registry = new TaskRegistry({ onFirst: () => hooks.next('f'), onLast: () => hooks.next('l') });
      const tasks = new Map(['a', 'b', 'c'].map((id) => [id, new TaskState(id, 'g')]));
      // a and b overlap; c comes after both settled: two busy spells.
      cold('-a-b-------c').subscribe((id) => registry.add(tasks.get(id)!));
      cold('-----A--B----C').subscribe((id) => tasks.get(id.toLowerCase())!.settle({ value: id }, 'success'));
      expectObservable(hooks).toBe('-f------l--f-l');
    });
  });

  it('should route by id while outstanding, and forget a task once it settles', () => {
    const registry = new TaskRegistry({ onFirst: () => {}, onLast: () => {} });
    const a = new TaskState('a', 'g');
    registry.add(a);
    registry.add(a); // again: still one
    assert.equal(registry.size, 1);
    assert.equal(registry.get('a'), a);
    a.settle({ value: 1 }, 'success');
    assert.equal(registry.get('a'), undefined);
    assert.equal(registry.size, 0);
    const settled = new TaskState('s', 'g');
    settled.settle({ value: 1 }, 'success');
    registry.add(settled);
    assert.equal(registry.size, 0, 'a settled task is never outstanding');
  });
});
