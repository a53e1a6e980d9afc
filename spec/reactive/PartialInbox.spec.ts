import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartialInbox } from '../../lib/reactive/PartialInbox.js';

describe('PartialInbox', () => {
  it('should hold values until a push reader comes, then hand over each once, in seq order, and report each take', () => {
    const taken: number[] = [];
    const inbox = new PartialInbox<string>((seq) => taken.push(seq));
    assert.equal(inbox.offer(0, 'a'), true);
    assert.equal(inbox.offer(0, 'a'), false, 'a seq heard before is dropped');
    assert.equal(inbox.offer(2, 'c'), false, 'a seq past the next is not taken in');
    assert.equal(inbox.gap, true);
    assert.deepEqual(taken, [], 'nobody took anything: nothing is acknowledged');
    const seen: string[] = [];
    const detach = inbox.attach((v) => seen.push(v));
    assert.deepEqual(seen, ['a']);
    inbox.offer(1, 'b');
    inbox.offer(2, 'c');
    assert.equal(inbox.gap, false);
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.deepEqual(taken, [0, 1, 2]);
    detach();
    inbox.offer(3, 'd');
    assert.equal(inbox.held, 1, 'held again once the reader left');
  });

  it('should let a pull reader set the pace: a value leaves only when it asks, and push readers get it then', async () => {
    const taken: number[] = [];
    const inbox = new PartialInbox<number>((seq) => taken.push(seq));
    const pushed: number[] = [];
    inbox.attach((v) => pushed.push(v));
    const reader = inbox.pull();
    for (let seq = 0; seq < 5; seq++) inbox.offer(seq, seq);
    assert.equal(inbox.held, 5, 'nothing leaves before the pull reader asks');
    assert.deepEqual(await reader.next(), { done: false, value: 0 });
    assert.deepEqual(pushed, [0]);
    assert.deepEqual(taken, [0]);
    const waiting = (async () => [(await reader.next()).value, (await reader.next()).value])();
    assert.deepEqual(await waiting, [1, 2]);
    inbox.total = 5;
    inbox.end();
    const rest: number[] = [];
    for await (const v of reader) rest.push(v);
    assert.deepEqual(rest, [3, 4], 'what was held, then done');
    assert.deepEqual(taken, [0, 1, 2, 3, 4]);
  });

  it('should take and drop what nobody reads once drained (an await wants the return value only), and end a waiting pull reader with the error', async () => {
    const taken: number[] = [];
    const inbox = new PartialInbox<number>((seq) => taken.push(seq));
    inbox.offer(0, 0);
    inbox.drain();
    inbox.offer(1, 1);
    assert.deepEqual(taken, [0, 1]);
    assert.equal(inbox.held, 0);
    const other = new PartialInbox<number>(() => {});
    const reader = other.pull();
    const next = reader.next();
    other.end({ error: new Error('the task failed') });
    await assert.rejects(next, /the task failed/);
  });
});
