/** Functions whose run time is kept; the least recently measured goes past this count. */
const MAX_FUNCTIONS = 1000;

/** How long a micro-batch should take, at most, by the functions' measured run times. */
const BATCH_BUDGET_MS = 2;

/** The most tasks in one micro-batch. */
export const MAX_BATCH = 64;

/**
 * The endpoint's measure of how long each function takes (a moving average of its runs), which
 * sizes micro-batches: a fast function's tasks go to a worker many at a time, a slow one's (or
 * one not measured yet) one at a time, so batching never holds a task behind a slow one for
 * long. Bounded: the least recently measured function is forgotten first.
 *
 * @example
 * ```ts
 * const speeds = new FunctionSpeeds();
 * speeds.record('f', 0.01);
 * speeds.batchSize('f'); // 64
 * speeds.batchSize('never-seen'); // 1
 * ```
 */
export class FunctionSpeeds {
  readonly #ms = new Map<string, number>();

  /**
   * Adds one run's time to a function's average.
   *
   * @param functionId - the function
   * @param ms - how long the run took
   */
  record(functionId: string, ms: number): void {
    const old = this.#ms.get(functionId);
    if (old !== undefined) this.#ms.delete(functionId);
    else if (this.#ms.size >= MAX_FUNCTIONS) this.#ms.delete(this.#ms.keys().next().value as string);
    this.#ms.set(functionId, old === undefined ? ms : old + (ms - old) / 8);
  }

  /**
   * How many of a function's tasks one worker may take at once.
   *
   * @param functionId - the function
   * @returns from 1 (slow or unknown) to {@link MAX_BATCH}
   */
  batchSize(functionId: string): number {
    const ms = this.#ms.get(functionId);
    if (ms === undefined) return 1;
    return Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_BUDGET_MS / Math.max(ms, BATCH_BUDGET_MS / MAX_BATCH))));
  }
}
