import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HtexAutoScale, targetBlocks, type ScalingBlock } from '../../lib/endpoint/strategy/htexAutoScale.js';
import type { ScalingKnobs } from '../../lib/endpoint/strategy/ScalingKnobs.js';

const knobs: ScalingKnobs = { initBlocks: 0, minBlocks: 0, maxBlocks: 4, parallelism: 1, maxIdleTimeMs: 1000, slotsPerBlock: 2 };
const running = (id: string, busy: number, idleSinceMs: number | null = busy > 0 ? null : 0): ScalingBlock => ({ id, state: 'running', busy, idleSinceMs });
const pending = (id: string, sinceMs = 0): ScalingBlock => ({ id, state: 'pending', busy: 0, idleSinceMs: sinceMs });

describe('HtexAutoScale', () => {
  it('targetBlocks() - slots for outstanding × parallelism, one block while any work, within min and max', () => {
    assert.equal(targetBlocks(0, knobs), 0);
    assert.equal(targetBlocks(1, knobs), 1);
    assert.equal(targetBlocks(5, knobs), 3);
    assert.equal(targetBlocks(100, knobs), 4, 'never past maxBlocks');
    assert.equal(targetBlocks(8, { ...knobs, parallelism: 0.5 }), 2, 'two tasks per slot');
    assert.equal(targetBlocks(50, { ...knobs, parallelism: 0 }), 1, 'parallelism 0: one block while there is work');
    assert.equal(targetBlocks(0, { ...knobs, minBlocks: 2 }), 2);
  });

  it('.decide() - scales out from 0 blocks to what the load needs, capped at maxBlocks', () => {
    assert.deepEqual(new HtexAutoScale(knobs).decide({ outstanding: 5, blocks: [], nowMs: 0 }), { out: 3, in: [] });
    assert.deepEqual(new HtexAutoScale(knobs).decide({ outstanding: 500, blocks: [], nowMs: 0 }), { out: 4, in: [] });
  });

  it('.decide() - counts pending blocks: asks for no more while they are queued', () => {
    const strategy = new HtexAutoScale(knobs);
    assert.deepEqual(strategy.decide({ outstanding: 6, blocks: [pending('0'), pending('1'), pending('2')], nowMs: 10 }), { out: 0, in: [] });
    assert.deepEqual(strategy.decide({ outstanding: 8, blocks: [pending('0'), pending('1'), pending('2')], nowMs: 20 }), { out: 1, in: [] });
  });

  it('.decide() - gives back only blocks idle for maxIdleTime, pending ones first, then the longest idle', () => {
    const strategy = new HtexAutoScale(knobs);
    const blocks = [running('busy', 2), running('recent', 0, 900), running('old', 0, 100), running('older', 0, 50), pending('queued', 0)];
    // One task: one block is the target; four may go, but "recent" has not been idle long enough.
    assert.deepEqual(strategy.decide({ outstanding: 2, blocks, nowMs: 1500 }), { out: 0, in: ['queued', 'older', 'old'] });
    assert.deepEqual(strategy.decide({ outstanding: 2, blocks: [running('busy', 2), running('recent', 0, 900)], nowMs: 1899 }), { out: 0, in: [] });
    assert.deepEqual(strategy.decide({ outstanding: 2, blocks: [running('busy', 2), running('recent', 0, 900)], nowMs: 1900 }), { out: 0, in: ['recent'] });
  });

  it('.decide() - with no work at all, waits for the endpoint to be idle maxIdleTime, then goes down to minBlocks', () => {
    const strategy = new HtexAutoScale({ ...knobs, minBlocks: 1 });
    const idle = [running('a', 0, 0), running('b', 0, 0)];
    assert.deepEqual(strategy.decide({ outstanding: 0, blocks: idle, nowMs: 5000 }), { out: 0, in: [] }, 'the endpoint just became idle');
    assert.deepEqual(strategy.decide({ outstanding: 0, blocks: idle, nowMs: 5999 }), { out: 0, in: [] });
    assert.deepEqual(strategy.decide({ outstanding: 0, blocks: idle, nowMs: 6000 }), { out: 0, in: ['a'] }, 'down to minBlocks, not 0');
    assert.deepEqual(strategy.decide({ outstanding: 0, blocks: [running('b', 0, 0)], nowMs: 99_000 }), { out: 0, in: [] });
  });

  it('.decide() - never loops between scaling out and in under a steady load, from 0 blocks or after a burst (Parsl #3696)', () => {
    for (const parallelism of [0, 0.25, 0.5, 1]) {
      for (const slotsPerBlock of [1, 2, 3, 8]) {
        for (const outstanding of [1, 2, 3, 5, 7, 13, 48]) {
          for (const start of [0, 6]) {
            const k = { ...knobs, parallelism, slotsPerBlock, maxBlocks: 6, maxIdleTimeMs: 0 };
            const strategy = new HtexAutoScale(k);
            // After a burst: every block up, the load fallen to `outstanding`.
            let blocks: ScalingBlock[] = Array.from({ length: start }, (_, i) => running(`burst${i}`, 0, 0));
            let next = 0;
            const directions: string[] = [];
            for (let tick = 0; tick < 30; tick++) {
              const { out, in: back } = strategy.decide({ outstanding, blocks, nowMs: tick * 1000 });
              assert.ok(out === 0 || back.length === 0, 'never both at once');
              if (out > 0) directions.push('out');
              if (back.length > 0) directions.push('in');
              blocks = blocks.filter((b) => !back.includes(b.id));
              for (let i = 0; i < out; i++) blocks.push(pending(String(next++), tick * 1000));
              // The load spreads over the blocks that came up; a block without tasks is idle.
              let left = outstanding;
              blocks = blocks.map((b) => {
                const busy = Math.min(left, slotsPerBlock);
                left -= busy;
                return running(b.id, busy, busy > 0 ? null : tick * 1000);
              });
            }
            assert.ok(directions.length <= 1, `p=${parallelism} slots=${slotsPerBlock} load=${outstanding} from ${start}: ${directions.join(',')}`);
            assert.equal(blocks.length, targetBlocks(outstanding, k), 'settles on the target');
          }
        }
      }
    }
  });
});
