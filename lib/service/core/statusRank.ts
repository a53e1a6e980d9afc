import type { TaskStatus } from '../../protocol/task.js';

const RANK: Readonly<Record<TaskStatus, number>> = {
  'waiting-for-ep': 0,
  'waiting-for-nodes': 1,
  'waiting-for-launch': 2,
  running: 3,
  success: 4,
  failed: 4,
  cancelled: 4,
};

/**
 * A status's place in a task's life: a task only moves to a higher rank (a requeue to
 * `waiting-for-ep` is the one way back, and only for a live task).
 *
 * @param status - a task status
 * @returns its rank, 0 to 4
 * @example
 * ```ts
 * statusRank('running') > statusRank('waiting-for-ep'); // true
 * ```
 */
export function statusRank(status: TaskStatus): number {
  return RANK[status];
}
