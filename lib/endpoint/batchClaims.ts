/**
 * The states of a micro-batch's tasks, one `Int32Array` word each in memory shared by the pool
 * and the worker running the batch. Both change a word only from `PENDING`, with
 * `Atomics.compareExchange`, so exactly one of them decides each task: the worker claims it and
 * runs it, or the pool skips it (cancelled, or left for another worker) and it never runs there.
 */
export const BatchClaim = {
  /** Not started. */
  PENDING: 0,
  /** Taken by the worker: running, or done. */
  CLAIMED: 1,
  /** Taken back by the pool: the worker passes over it. */
  SKIPPED: 2,
} as const;
