import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import { asyncScheduler } from 'rxjs';
import { Hold } from '../../lib/reactive/Hold.js';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

describe('Hold', () => {
  it('should subscribe at the first acquire, unsubscribe at the last release, and resubscribe after', () => {
    testScheduler().run(({ cold, expectSubscriptions }) => {
      const source = cold('-a-b-c-d-e-f-g-h');
      const hold = new Hold(source);
      const at = (frame: number, work: () => void): void => void asyncScheduler.schedule(work, frame);
      at(1, () => hold.acquire());
      at(2, () => hold.acquire());
      at(4, () => hold.release());
      at(6, () => hold.release());
      at(9, () => hold.acquire());
      at(12, () => hold.release());
      expectSubscriptions(source.subscriptions).toBe(['-^----!', '---------^--!']);
    });
  });

  it('should ignore a release with no holder', () => {
    const hold = new Hold(new TestScheduler(() => {}).createColdObservable('-'));
    hold.release();
    assert.equal(hold.count, 0);
    hold.acquire();
    assert.equal(hold.active, true);
    hold.release();
    assert.equal(hold.active, false);
  });

  it('should report a source error and subscribe again on the next acquire', () => {
    const errors: unknown[] = [];
    testScheduler().run(({ cold, expectSubscriptions }) => {
      const source = cold('--#');
      const hold = new Hold(source, (e) => errors.push(e));
      asyncScheduler.schedule(() => hold.acquire(), 0);
      asyncScheduler.schedule(() => hold.acquire(), 5);
      asyncScheduler.schedule(() => {
        hold.release();
        hold.release();
      }, 6);
      expectSubscriptions(source.subscriptions).toBe(['^-!', '-----^!']);
    });
    assert.equal(errors.length, 1);
  });
});
