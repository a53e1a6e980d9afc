import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import { batchSubmissions } from '../../lib/reactive/batchSubmissions.js';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

describe('batchSubmissions', () => {
  it('should post what one interval gathered, and nothing for idle intervals', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot('  -a-b--------------c-|');
      const expected = '    ----x---------------(z|)';
      expectObservable(source.pipe(batchSubmissions({ interval: 4, size: 100 }))).toBe(expected, { x: ['a', 'b'], z: ['c'] });
    });
  });

  it('should flush a full buffer before its interval ends', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot('  -abc-d----|');
      const expected = '    ---x-----y|';
      expectObservable(source.pipe(batchSubmissions({ interval: 6, size: 3 }))).toBe(expected, { x: ['a', 'b', 'c'], y: ['d'] });
    });
  });

  it('should emit each submission at once when batching is off', () => {
    testScheduler().run(({ hot, expectObservable }) => {
      const source = hot('  -a-b-|');
      const expected = '    -x-y-|';
      expectObservable(source.pipe(batchSubmissions({ interval: 0, size: 3 }))).toBe(expected, { x: ['a'], y: ['b'] });
    });
  });

  it('should keep its timer only while subscribed', () => {
    testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a---b---');
      const sub = '         ^----!    ';
      const subs = '        ^----!    ';
      const expected = '    ---x--    ';
      expectObservable(source.pipe(batchSubmissions({ interval: 3, size: 10 })), sub).toBe(expected, { x: ['a'] });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });
});
