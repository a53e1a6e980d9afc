import type { PartialCredit } from '../protocol/endpointChannel.js';

/**
 * The channel between an endpoint's process and its JavaScript worker threads for generators'
 * partial results (docs/protocol-extensions.md §11): a `BroadcastChannel` of this name. A worker
 * streaming a generator posts each partial on it; the process posts each task's new credit,
 * which only that task's worker heeds.
 */
export const PARTIALS_CHANNEL = 'funcx-rx:partials';

/** Worker → process: a generator yielded (its value serialized as a result is). */
export interface WorkerPartial {
  readonly type: 'partial';
  readonly taskId: string;
  readonly seq: number;
  readonly value: string;
}

/** Process → workers: a task's new cumulative credit. */
export interface WorkerCredit extends PartialCredit {
  readonly type: 'credit';
  readonly taskId: string;
}

/** A credit with no limit: for a task run with none (a spec, a manager without the service's word). */
export const NO_CREDIT_LIMIT: PartialCredit = { count: Number.MAX_SAFE_INTEGER, bytes: Number.MAX_SAFE_INTEGER };

/**
 * Whether a partial of `size` bytes may be sent as `seq` after `sentBytes` bytes this run, under
 * a credit: the one rule, on every path that streams (worker threads, the Python worker's copy in
 * worker.py says the same).
 *
 * @param credit - the task's credit now
 * @param seq - the partial's seq
 * @param sentBytes - value bytes sent before it in this run
 * @param size - its value's bytes
 * @returns true when it may go now
 * @example
 * ```ts
 * mayStream({ count: 3, bytes: 100 }, 3, 0, 1); // false: past the count
 * ```
 */
export function mayStream(credit: PartialCredit, seq: number, sentBytes: number, size: number): boolean {
  return seq < credit.count && sentBytes + size <= credit.bytes;
}
