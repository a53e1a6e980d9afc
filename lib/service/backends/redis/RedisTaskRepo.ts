import { isFinalStatus } from '../../../protocol/lifecycle.js';
import type { TaskStatus } from '../../../protocol/task.js';
import type { DoomedTask, ReportOutcome, TaskCompletion, TaskEntry, TaskMove } from '../../core/records.js';
import type { TaskRepo } from '../../core/repositories.js';
import type { RedisClient } from './RedisClient.js';
import { TASK_FIELDS } from './luaScripts.js';

/**
 * The most tasks one script handles: a larger batch goes as several scripts in one round trip, so
 * no single script holds Redis (and the other replicas) for long.
 */
const SCRIPT_BATCH = 500;

/** Runs `run` on slices of at most SCRIPT_BATCH items, all at once, and joins the answers in order. */
export async function inSlices<T, R>(items: readonly T[], run: (slice: readonly T[]) => Promise<R[]>): Promise<R[]> {
  if (items.length <= SCRIPT_BATCH) return items.length === 0 ? [] : run(items);
  const slices: Promise<R[]>[] = [];
  for (let i = 0; i < items.length; i += SCRIPT_BATCH) slices.push(run(items.slice(i, i + SCRIPT_BATCH)));
  return (await Promise.all(slices)).flat();
}

/** One task in a script's answer: its row (values in TASK_FIELDS order; null or false for an absent field), or null or false. */
export type Row = readonly (string | null | false)[] | null | false;

/** A batch script's answer: its rows, as JSON. */
export function rowsOf(json: string): Row[] {
  const rows = JSON.parse(json) as Row[] | Record<string, never>;
  // cjson writes an empty table as {}.
  return Array.isArray(rows) ? rows : [];
}

const text = (value: string | null | false | undefined): string | null => (typeof value === 'string' ? value : null);

/** A script's answer for one task, as a task. */
export function taskOf(row: Row | undefined): TaskEntry | null {
  if (!row || typeof row[0] !== 'string') return null;
  // In TASK_FIELDS order.
  const [id, ownerId, groupId, functionId, endpointId, payload, payloadDigest, status, result, exception, queuedAt, completedAt, inputs, partials] = row;
  return {
    id: id as string, ownerId: ownerId as string, groupId: groupId as string, functionId: functionId as string, endpointId: endpointId as string,
    // An ended task's payload is gone (lua/report.lua empties it in the write that ends it).
    payload: isFinalStatus(status as TaskStatus) ? null : text(payload), payloadDigest: text(payloadDigest), status: status as TaskStatus, result: text(result), exception: text(exception),
    queuedAt: Number(queuedAt), completedAt: typeof completedAt === 'string' ? Number(completedAt) : null,
    ...(typeof inputs === 'string' && inputs !== '' ? { inputs: inputs.split(',') } : {}),
    ...(typeof partials === 'string' ? { partials: Number(partials) } : {}),
  };
}

/** cjson writes an empty table as {}. */
export function listOf<T>(part: T[] | Record<string, never> | undefined): T[] {
  return Array.isArray(part) ? part : [];
}

/** The doomed dependants of a script's answer: [row, input id] pairs. */
export function doomedOf(pairs: [Row, string][] | Record<string, never> | undefined): DoomedTask[] {
  return listOf(pairs).flatMap(([row, inputId]) => {
    const task = taskOf(row);
    return task ? [{ task, inputId }] : [];
  });
}

/**
 * Tasks as Redis hashes (`<prefix>{u:<owner>}:t:<id>`), with sorted sets of a user's tasks
 * waiting for their endpoint, waiting for their inputs and ended (by time, for expiry) and a hash
 * of live references to functions and endpoints, every key under the owner's hash tag
 * (RedisClient.userPrefix). Every deciding operation is one Lua script on one slot.
 */
export class RedisTaskRepo implements TaskRepo {
  readonly #client: RedisClient;

  /** @param client - the connection and scripts */
  constructor(client: RedisClient) {
    this.#client = client;
  }

  #key(ownerId: string, id: string): string {
    return this.#client.taskKey(ownerId, id);
  }

  async get(ownerId: string, id: string): Promise<TaskEntry | undefined> {
    return taskOf(await this.#client.redis.hmget(this.#key(ownerId, id), ...TASK_FIELDS)) ?? undefined;
  }

  async getMany(ownerId: string, ids: readonly string[]): Promise<Map<string, TaskEntry>> {
    const found = await inSlices(ids, async (slice) => rowsOf(await this.#client.script<string>('rows', slice.map((id) => this.#key(ownerId, id)), [])));
    const out = new Map<string, TaskEntry>();
    for (const row of found) {
      const task = taskOf(row);
      if (task) out.set(task.id, task);
    }
    return out;
  }

  /**
   * The submit script's keys and arguments for one slice of one user's tasks (see lua/submit.lua).
   * @returns the tasks' keys (after the fixed ones) and their masked values
   */
  submitArgs(ownerId: string, slice: readonly TaskEntry[]): { keys: string[]; args: string[] } {
    const keys: string[] = [];
    const args: string[] = [];
    for (const task of slice) {
      keys.push(this.#key(ownerId, task.id));
      // The values only, after a mask of the fields present: a third of the strings of field/value pairs.
      const at = args.push('');
      let has = '';
      for (const field of TASK_FIELDS) {
        const value = field === 'inputs' ? (task.inputs?.length ? task.inputs.join(',') : null) : field === 'partials' ? (task.partials ?? null) : task[field];
        has += value === null ? '0' : '1';
        if (value !== null) args.push(String(value));
      }
      args[at - 1] = has;
    }
    return { keys, args };
  }

  /** A user's indexes every task script takes first: queued, ended, refs, deps, and their counters. */
  indexKeys(ownerId: string): { queued: string; ended: string; refs: string; deps: string; stats: string } {
    const k = (name: string): string => this.#client.userKey(ownerId, name);
    return { queued: k('queued'), ended: k('ended'), refs: k('refs'), deps: k('deps'), stats: this.#client.statsKey(ownerId) };
  }

  /**
   * Records one user's moves then ends in one script per slice (lua/report.lua), each ended task
   * marked undelivered in its group.
   * @returns per move and per end, the task before, or null
   */
  async report(ownerId: string, endpointId: string, moves: readonly TaskMove[], ends: readonly TaskCompletion[], retentionMs: number): Promise<ReportOutcome> {
    // A backstop behind the sweep, which deletes ended tasks at retentionMs: a minute later.
    const ttlSeconds = Math.ceil(retentionMs / 1000) + 60;
    const { queued, ended, refs, deps, stats } = this.indexKeys(ownerId);
    const one = async (slice: { moves: readonly TaskMove[]; ends: readonly TaskCompletion[] }): Promise<ReportOutcome> => {
      const keys = [queued, ended, refs, deps, stats];
      const args: (string | number)[] = [ttlSeconds, slice.moves.length, endpointId, this.#client.userKey(ownerId, 'g', ''), this.#key(ownerId, ''), this.#client.userKey(ownerId, 'q', ''), this.#client.key('wake', ''), Date.now()];
      for (const move of slice.moves) {
        keys.push(this.#key(ownerId, move.id));
        args.push(move.to);
      }
      for (const { id, end, endpointId: owner } of slice.ends) {
        keys.push(this.#key(ownerId, id));
        args.push(end.status, end.completedAt, owner ?? '', end.result === null ? '0' : '1', end.result ?? '', end.exception === null ? '0' : '1', end.exception ?? '', end.partials ?? '');
      }
      type Part<T> = T[] | Record<string, never>;
      const answer = JSON.parse(await this.#client.script<string>('report', keys, args)) as [Part<Row>, Part<Row>, Part<Row>, Part<[Row, string]>];
      return { moved: listOf(answer[0]).map(taskOf), ended: listOf(answer[1]).map(taskOf), released: listOf(answer[2]).map(taskOf).filter((t): t is TaskEntry => t !== null), doomed: doomedOf(answer[3]) };
    };
    if (moves.length + ends.length <= SCRIPT_BATCH) return one({ moves, ends });
    // Larger: moves first, then ends, each in slices (a task moved and ended in one report is
    // never split: the broker sends a task that ends as an end only).
    const released: TaskEntry[] = [];
    const doomed: DoomedTask[] = [];
    const collect = (outcome: ReportOutcome): ReportOutcome => {
      released.push(...outcome.released);
      doomed.push(...outcome.doomed);
      return outcome;
    };
    const moved = await inSlices(moves, async (slice) => collect(await one({ moves: slice, ends: [] })).moved);
    const endedNow = await inSlices(ends, async (slice) => collect(await one({ moves: [], ends: slice })).ended);
    return { moved, ended: endedNow, released, doomed };
  }

  deleteMany(ownerId: string, ids: readonly string[]): Promise<(TaskEntry | null)[]> {
    const { queued, ended, refs, deps, stats } = this.indexKeys(ownerId);
    return inSlices(ids, async (slice) => rowsOf(await this.#client.script<string>('deleteMany', [queued, ended, refs, deps, stats, ...slice.map((id) => this.#key(ownerId, id))], [])).map(taskOf));
  }

  endedBefore(ownerId: string, before: number, limit: number): Promise<string[]> {
    return this.#client.redis.zrangebyscore(this.indexKeys(ownerId).ended, '-inf', `(${before}`, 'LIMIT', 0, limit);
  }

  waitingSince(ownerId: string, before: number, limit: number): Promise<string[]> {
    return this.#client.redis.zrangebyscore(this.indexKeys(ownerId).queued, '-inf', `(${before}`, 'LIMIT', 0, limit);
  }

  waitingForInputs(ownerId: string, before: number, limit: number): Promise<string[]> {
    return this.#client.redis.zrangebyscore(this.indexKeys(ownerId).deps, '-inf', `(${before}`, 'LIMIT', 0, limit);
  }

  async isReferenced(ownerId: string, id: string): Promise<boolean> {
    return Number((await this.#client.redis.hget(this.indexKeys(ownerId).refs, id)) ?? 0) > 0;
  }
}
