import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import { orderedMergeMap } from '../../lib/reactive/orderedMergeMap.js';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

describe('orderedMergeMap', () => {
  it('should emit in input order when later calls finish first', () => {
    testScheduler().run(({ cold, hot, expectObservable }) => {
      const source = hot('   -a-b-c-|');
      const durations: Record<string, string> = { a: '--------(x|)', b: '-(x|)', c: '--------(x|)' };
      const result = source.pipe(orderedMergeMap((v) => cold(durations[v]!, { x: v.toUpperCase() })));
      expectObservable(result).toBe('---------(AB)(C|)');
    });
  });

  it('should run at most `concurrency` inner calls at once', () => {
    testScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -abc---|');
      const inner = cold('  ---(x|)');
      const result = source.pipe(orderedMergeMap(() => inner, 2));
      expectObservable(result).toBe('----xx-(x|)');
      expectSubscriptions(inner.subscriptions).toBe(['-^--!', '--^--!', '----^--!']);
    });
  });

  it('should skip an inner that completes without a value and keep the rest in order', () => {
    testScheduler().run(({ cold, hot, expectObservable }) => {
      const source = hot('  -ab-|');
      const inners: Record<string, string> = { a: '---|', b: '-(x|)' };
      const result = source.pipe(orderedMergeMap((v) => cold(inners[v]!, { x: v })));
      expectObservable(result).toBe('----(b|)');
    });
  });

  it('should error when an inner errors, and unsubscribe the others', () => {
    testScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -ab--|');
      const slow = cold('   -----x');
      const failing = cold('  -#');
      const result = source.pipe(orderedMergeMap((v) => (v === 'a' ? slow : failing)));
      expectObservable(result).toBe('---#');
      expectSubscriptions(slow.subscriptions).toBe('-^-!');
    });
  });
});
