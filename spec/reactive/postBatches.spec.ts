import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import { postBatches } from '../../lib/reactive/postBatches.js';
import { batchSubmissions } from '../../lib/reactive/batchSubmissions.js';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

describe('postBatches', () => {
  it('should isolate a failing post to its own batch and go on', () => {
    testScheduler().run(({ cold, hot, expectObservable }) => {
      const source = hot('  -a-b---c-----d-|');
      // The second post fails; the first and third answer after 2 frames.
      const answers = [cold('--(r|)', { r: 'ok-1' }), cold('-#', undefined, new Error('HTTP 502')), cold('--(r|)', { r: 'ok-3' })];
      let call = 0;
      const outcomes = source.pipe(
        batchSubmissions({ interval: 4, size: 10 }),
        postBatches(() => answers[call++]!),
      );
      const expected = '    ------x--y-------(z|)';
      expectObservable(outcomes).toBe(expected, {
        x: { batch: ['a', 'b'], response: 'ok-1' },
        y: { batch: ['c'], error: new Error('HTTP 502') },
        z: { batch: ['d'], response: 'ok-3' },
      });
    });
  });

  it('should post batches concurrently', () => {
    testScheduler().run(({ cold, hot, expectObservable }) => {
      const source = hot('  -a-b-|');
      const slow = cold('   -----(r|)', { r: 'slow' });
      const fast = cold('   -(r|)', { r: 'fast' });
      const posts = [slow, fast];
      let call = 0;
      const outcomes = source.pipe(
        batchSubmissions({ interval: 0, size: 1 }),
        postBatches(() => posts[call++]!),
      );
      expectObservable(outcomes).toBe('----y-(x|)', {
        x: { batch: ['a'], response: 'slow' },
        y: { batch: ['b'], response: 'fast' },
      });
    });
  });
});
