/**
 * The knobs of the scaling strategy, as Parsl's provider and config options.
 *
 * @example
 * ```ts
 * const knobs: ScalingKnobs = { initBlocks: 0, minBlocks: 0, maxBlocks: 4, parallelism: 1, maxIdleTimeMs: 120_000, slotsPerBlock: 8 };
 * ```
 */
export interface ScalingKnobs {
  /** Blocks asked for when the endpoint starts. @default 0 */
  readonly initBlocks: number;
  /** Blocks kept however idle. @default 0 */
  readonly minBlocks: number;
  /** Blocks never exceeded, pending ones included. @default 1 */
  readonly maxBlocks: number;
  /**
   * How many slots to provide per outstanding task, from 0 to 1: 1 gives every task a worker
   * (up to `maxBlocks`), 0.5 stacks two tasks per worker before asking for a block, 0 keeps one
   * block while there is work.
   * @default 1
   */
  readonly parallelism: number;
  /** How long a block must have had no task before it is given back, in milliseconds. @default 120_000, as Parsl */
  readonly maxIdleTimeMs: number;
  /** Workers of one block: workers per node × nodes per block. */
  readonly slotsPerBlock: number;
}
