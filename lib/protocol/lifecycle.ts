/**
 * The task lifecycle: its states, their order, and every move a task may make. This table is the
 * one rule; the service's use cases, the memory and Redis adapters (the Lua rank table is
 * generated from it), and the client's `TaskState` all derive from it.
 *
 * ```text
 *  waiting-for-deps ──release (every input succeeded)──▶ waiting-for-ep
 *  waiting-for-ep ──dispatch──▶ waiting-for-nodes ──report──▶ waiting-for-launch ──report──▶ running
 *        ▲                              │                               │                       │
 *        └───────────reclaim / requeue──┴───────────────────────────────┴───────────────────────┘
 *  any live state ──report / cancel / expire──▶ success | failed | cancelled   (first end wins)
 * ```
 *
 * `cancelled` and `waiting-for-deps` (a task whose inputs have not all succeeded,
 * docs/protocol-extensions.md §12) are funcx-rx extensions. A task without inputs is accepted in
 * `waiting-for-ep`; a task with inputs in `waiting-for-deps`, and a requeue never takes it back
 * there (its inputs succeeded once and for all).
 */

/** The statuses of a task, in the order of its life. */
export const TASK_STATUSES = [
  'waiting-for-deps',
  'waiting-for-ep',
  'waiting-for-nodes',
  'waiting-for-launch',
  'running',
  'success',
  'failed',
  'cancelled',
] as const;

/** One of {@link TASK_STATUSES}. */
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** The statuses after which a task never changes again. */
export const FINAL_STATUSES = ['success', 'failed', 'cancelled'] as const;

/** One of {@link FINAL_STATUSES}. */
export type FinalTaskStatus = (typeof FINAL_STATUSES)[number];

/** The live statuses, in order. */
export type LiveTaskStatus = Exclude<TaskStatus, FinalTaskStatus>;

/** The status a task without inputs is accepted in, and the one a requeue puts a task back to: waiting for its endpoint. */
export const INITIAL_STATUS = 'waiting-for-ep' satisfies LiveTaskStatus;

/** The status a task with inputs is accepted in: waiting until every input has succeeded. */
export const WAITING_STATUS = 'waiting-for-deps' satisfies LiveTaskStatus;

/** The status a task takes when its endpoint connection takes it (dispatch). */
export const DISPATCHED_STATUS = 'waiting-for-nodes' satisfies LiveTaskStatus;

/** The rank every final status shares: the highest. */
export const FINAL_RANK = TASK_STATUSES.indexOf('success');

const RANK: Readonly<Record<TaskStatus, number>> = Object.fromEntries(
  TASK_STATUSES.map((status, i) => [status, Math.min(i, FINAL_RANK)]),
) as Record<TaskStatus, number>;

/**
 * What moves a task, and who may make each move:
 * - `dispatch`: `waiting-for-ep` → `waiting-for-nodes`, by the endpoint connection that took it;
 * - `report`: forward only, by the task's own endpoint (a status behind, or repeated, is ignored);
 * - `end`: any live status → a final one, by the endpoint (result), the user (cancel) or the sweep
 *   (expiry); the first end wins and later ones are ignored;
 * - `report`: never out of `waiting-for-deps` (no endpoint has such a task);
 * - `requeue`: any live status after `waiting-for-ep` → `waiting-for-ep`, when the connection that
 *   held it went away (reclaim);
 * - `release`: `waiting-for-deps` → `waiting-for-ep`, when every input has succeeded (the task
 *   goes onto its endpoint's queue in the same step).
 */
export type TaskMoveKind = 'dispatch' | 'report' | 'end' | 'requeue' | 'release';

/**
 * Whether a status is final.
 *
 * @param status - a task status
 * @returns true for `success`, `failed` and `cancelled`
 * @example
 * ```ts
 * isFinalStatus('running'); // false
 * ```
 */
export function isFinalStatus(status: TaskStatus): status is FinalTaskStatus {
  return RANK[status] === FINAL_RANK;
}

/**
 * Whether a string is a task status this version knows.
 *
 * @param value - any string
 * @returns true for one of {@link TASK_STATUSES}
 * @example
 * ```ts
 * isTaskStatus('running'); // true
 * ```
 */
export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && Object.hasOwn(RANK, value);
}

/**
 * A status's place in a task's life: a task only moves to a higher rank (a requeue to
 * `waiting-for-ep` is the one way back, and only for a live task that was dispatched).
 *
 * @param status - a task status
 * @returns its rank, 0 to {@link FINAL_RANK}
 * @example
 * ```ts
 * statusRank('running') > statusRank('waiting-for-ep'); // true
 * ```
 */
export function statusRank(status: TaskStatus): number {
  return RANK[status];
}

/**
 * Whether a move from one status to another is allowed, by the table of {@link TaskMoveKind}.
 *
 * @param kind - what moves the task
 * @param from - its status now
 * @param to - the status asked for
 * @returns true when the move is allowed
 * @example
 * ```ts
 * canMove('report', 'running', 'waiting-for-launch'); // false: never back
 * canMove('end', 'success', 'cancelled');             // false: the first end wins
 * ```
 */
export function canMove(kind: TaskMoveKind, from: TaskStatus, to: TaskStatus): boolean {
  if (isFinalStatus(from)) return false;
  switch (kind) {
    case 'dispatch':
      return from === INITIAL_STATUS && to === DISPATCHED_STATUS;
    case 'report':
      return from !== WAITING_STATUS && !isFinalStatus(to) && RANK[to] > RANK[from];
    case 'end':
      return isFinalStatus(to);
    case 'requeue':
      return to === INITIAL_STATUS && RANK[from] > RANK[INITIAL_STATUS];
    case 'release':
      return from === WAITING_STATUS && to === INITIAL_STATUS;
  }
}

/**
 * The latest of a trail of reported statuses: the one of highest rank (the first of equals).
 *
 * @param trail - statuses in the order reported, at least one
 * @returns the furthest
 * @example
 * ```ts
 * furthest(['running', 'waiting-for-launch']); // 'running'
 * ```
 */
export function furthest(trail: readonly TaskStatus[]): TaskStatus {
  return trail.reduce((a, b) => (RANK[b] > RANK[a] ? b : a));
}

/**
 * The statuses of a trail that take a task further than `from`, each once, live ones only: what
 * its subscribers are told on the way (a status reported twice, or behind, is not told again).
 *
 * @param from - its status before the trail
 * @param trail - statuses in the order reported
 * @returns the ones that move it forward, in order
 * @example
 * ```ts
 * forwardSteps('waiting-for-nodes', ['running', 'waiting-for-launch', 'running']); // ['running']
 * ```
 */
export function forwardSteps(from: TaskStatus, trail: readonly TaskStatus[]): TaskStatus[] {
  let rank = RANK[from];
  const out: TaskStatus[] = [];
  for (const status of trail) {
    if (RANK[status] <= rank || isFinalStatus(status)) continue;
    rank = RANK[status];
    out.push(status);
  }
  return out;
}

/**
 * The rank table as a Lua statement (`local RANK = {...}`), for the Redis scripts: generated, so
 * that the scripts never hold a copy of their own.
 *
 * @returns one line of Lua
 * @example
 * ```ts
 * luaRankTable(); // "local RANK = { ['waiting-for-deps'] = 0, ... }\nlocal FINAL_RANK = 5\n..."
 * ```
 */
export function luaRankTable(): string {
  const entries = TASK_STATUSES.map((status) => `['${status}'] = ${RANK[status]}`).join(', ');
  return `local RANK = { ${entries} }\nlocal FINAL_RANK = ${FINAL_RANK}\nlocal WAITING, INITIAL = '${WAITING_STATUS}', '${INITIAL_STATUS}'`;
}
