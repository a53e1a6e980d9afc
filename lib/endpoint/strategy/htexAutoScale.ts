import type { ScalingKnobs } from './ScalingKnobs.js';

/** One block as the strategy sees it. Draining and cancelled blocks are not shown to it: their slots are going away. */
export interface ScalingBlock {
  readonly id: string;
  /** `pending`: asked for, no manager yet (queued, or starting); `running`: its managers are connected. */
  readonly state: 'pending' | 'running';
  /** Tasks running on it now. */
  readonly busy: number;
  /** Since when it has had no task, in ms (for a pending block: since it was asked for); null while busy. */
  readonly idleSinceMs: number | null;
}

/** What the strategy is shown at each tick. */
export interface ScalingInput {
  /** Tasks at the endpoint that have not ended: queued and running. */
  readonly outstanding: number;
  readonly blocks: readonly ScalingBlock[];
  /** The time of this tick, in ms. */
  readonly nowMs: number;
}

/** What to do: ask for `out` more blocks, or give back the blocks `in`; never both. */
export interface ScalingDecision {
  readonly out: number;
  readonly in: readonly string[];
}

const NOTHING: ScalingDecision = { out: 0, in: [] };

/**
 * The number of blocks a load needs: enough slots for `outstanding × parallelism` tasks, at
 * least one block while any task is outstanding, never fewer than `minBlocks` nor more than
 * `maxBlocks`.
 *
 * @param outstanding - tasks not ended
 * @param knobs - the strategy's knobs
 * @returns the target number of blocks
 * @example
 * ```ts
 * targetBlocks(10, { ...knobs, slotsPerBlock: 4, parallelism: 1, maxBlocks: 8 }); // 3
 * ```
 */
export function targetBlocks(outstanding: number, knobs: ScalingKnobs): number {
  const needed = Math.ceil((outstanding * knobs.parallelism) / knobs.slotsPerBlock);
  return Math.min(knobs.maxBlocks, Math.max(knobs.minBlocks, needed, outstanding > 0 ? 1 : 0));
}

/**
 * Parsl's `htex_auto_scale`: scale out when the outstanding tasks exceed the slots of the active
 * blocks (pending ones counted) divided by `parallelism`; scale in only blocks that have had no
 * task for `maxIdleTime`, pending ones first, then the longest idle.
 *
 * Both directions aim at one target ({@link targetBlocks}), the same rounding both ways, so a
 * steady load never makes it loop between the two (the failure of Parsl issue #3696, where
 * scale-in rounded up and the next tick scaled out again): after a scale-out the active blocks
 * are the target, and a scale-in never goes below it. Pending blocks count as active (so blocks
 * that are only queued are not asked for again), and a pending block is given back when no
 * longer needed, not abandoned in the queue (issue #2627). It keeps one clock, when the endpoint
 * last had no work, so that with no work at all it waits `maxIdleTime` before giving blocks back.
 *
 * @example
 * ```ts
 * const strategy = new HtexAutoScale(knobs);
 * const { out, in: cancel } = strategy.decide({ outstanding: 40, blocks, nowMs: Date.now() });
 * ```
 */
export class HtexAutoScale {
  readonly #knobs: ScalingKnobs;
  /** When the endpoint last became idle (no outstanding task); null while it has work. */
  #idleSinceMs: number | null = null;

  /** @param knobs - the strategy's knobs */
  constructor(knobs: ScalingKnobs) {
    this.#knobs = knobs;
  }

  /**
   * Decides one tick.
   *
   * @param input - outstanding tasks, the active blocks, the time
   * @returns how many blocks to ask for, or which to give back
   */
  decide(input: ScalingInput): ScalingDecision {
    const knobs = this.#knobs;
    const active = input.blocks.length;
    if (input.outstanding > 0) this.#idleSinceMs = null;
    else this.#idleSinceMs ??= input.nowMs;
    const target = targetBlocks(input.outstanding, knobs);
    if (active < target) return { out: target - active, in: [] };
    if (active === target) return NOTHING;
    // No work at all: the whole endpoint must have been idle for maxIdleTime first.
    if (input.outstanding === 0 && input.nowMs - this.#idleSinceMs! < knobs.maxIdleTimeMs) return NOTHING;
    const idle = input.blocks
      .filter((b) => b.busy === 0 && b.idleSinceMs !== null && input.nowMs - b.idleSinceMs >= knobs.maxIdleTimeMs)
      .sort((a, b) => (a.state === b.state ? a.idleSinceMs! - b.idleSinceMs! : a.state === 'pending' ? -1 : 1));
    const count = Math.min(active - target, idle.length);
    return count === 0 ? NOTHING : { out: 0, in: idle.slice(0, count).map((b) => b.id) };
  }
}
