import type { TaskStatus } from '../../../protocol/task.js';
import type { TaskCompletion, TaskEnd, TaskEntry, TaskMove } from '../../core/records.js';
import type { TaskRepo } from '../../core/repositories.js';
import type { RedisClient } from './RedisClient.js';
import { TASK_FIELDS } from './scripts.js';

/**
 * The most tasks one script handles: a larger batch goes as several scripts in one round trip, so
 * no single script holds Redis (and the other replicas) for long.
 */
const SCRIPT_BATCH = 500;

/** Runs `run` on slices of at most SCRIPT_BATCH items, all at once, and joins the answers in order. */
async function inSlices<T, R>(items: readonly T[], run: (slice: readonly T[]) => Promise<R[]>): Promise<R[]> {
  if (items.length <= SCRIPT_BATCH) return items.length === 0 ? [] : run(items);
  const slices: Promise<R[]>[] = [];
  for (let i = 0; i < items.length; i += SCRIPT_BATCH) slices.push(run(items.slice(i, i + SCRIPT_BATCH)));
  return (await Promise.all(slices)).flat();
}

/** One task in a script's answer: its row (values in TASK_FIELDS order; null or false for an absent field), or null or false. */
export type Row = readonly (string | null | false)[] | null | false;

/** A batch script's answer: its rows, as JSON. */
function rowsOf(json: string): Row[] {
  const rows = JSON.parse(json) as Row[] | Record<string, never>;
  // cjson writes an empty table as {}.
  return Array.isArray(rows) ? rows : [];
}

const text = (value: string | null | false | undefined): string | null => (typeof value === 'string' ? value : null);

/** A script's answer for one task, as a task. */
export function taskOf(row: Row | undefined): TaskEntry | null {
  if (!row || typeof row[0] !== 'string') return null;
  // In TASK_FIELDS order.
  const [id, ownerId, groupId, functionId, endpointId, payload, payloadDigest, status, result, exception, queuedAt, completedAt] = row;
  return {
    id: id as string, ownerId: ownerId as string, groupId: groupId as string, functionId: functionId as string, endpointId: endpointId as string,
    payload: text(payload), payloadDigest: text(payloadDigest), status: status as TaskStatus, result: text(result), exception: text(exception),
    queuedAt: Number(queuedAt), completedAt: typeof completedAt === 'string' ? Number(completedAt) : null,
  };
}

/**
 * Tasks as Redis hashes (`<prefix>t:<id>`), with sorted sets of tasks waiting for their endpoint
 * and of ended tasks (by time, for expiry) and a hash of live references to functions and
 * endpoints. Every deciding operation is one Lua script.
 */
export class RedisTaskRepo implements TaskRepo {
  readonly #client: RedisClient;
  readonly #ttlSeconds: number;

  /**
   * @param client - the connection and scripts
   * @param ttlSeconds - a backstop expiry set on ended tasks (the sweep deletes them before)
   */
  constructor(client: RedisClient, ttlSeconds: number) {
    this.#client = client;
    this.#ttlSeconds = ttlSeconds;
  }

  #key(id: string): string {
    return this.#client.taskKey(id);
  }

  get #queued(): string {
    return this.#client.queuedKey;
  }

  get #ended(): string {
    return this.#client.key('ended');
  }

  get #refs(): string {
    return this.#client.key('refs');
  }

  async get(id: string): Promise<TaskEntry | undefined> {
    return taskOf(await this.#client.redis.hmget(this.#key(id), ...TASK_FIELDS)) ?? undefined;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, TaskEntry>> {
    const found = await inSlices(ids, async (slice) => rowsOf(await this.#client.script<string>('fxRows', slice.map((id) => this.#key(id)), [])));
    const out = new Map<string, TaskEntry>();
    for (const row of found) {
      const task = taskOf(row);
      if (task) out.set(task.id, task);
    }
    return out;
  }

  async insertIfAbsent(task: TaskEntry): Promise<TaskEntry | null> {
    return (await this.insertMany([task]))[0]!;
  }

  insertMany(tasks: readonly TaskEntry[]): Promise<(TaskEntry | null)[]> {
    return inSlices(tasks, async (slice) => {
      const keys = [this.#queued, this.#refs];
      const args: (string | number)[] = [];
      for (const task of slice) {
        keys.push(this.#key(task.id));
        // The values only, after a mask of the fields present: a third of the strings of field/value pairs.
        const at = args.push('');
        let has = '';
        for (const field of TASK_FIELDS) {
          const value = task[field];
          has += value === null ? '0' : '1';
          if (value !== null) args.push(value);
        }
        args[at - 1] = has;
      }
      return rowsOf(await this.#client.script<string>('fxInsertMany', keys, args)).map(taskOf);
    });
  }

  async advance(id: string, endpointId: string, to: TaskStatus): Promise<TaskEntry | null> {
    return (await this.advanceMany(endpointId, [{ id, to }]))[0]!;
  }

  advanceMany(endpointId: string, moves: readonly TaskMove[]): Promise<(TaskEntry | null)[]> {
    return inSlices(moves, async (slice) => {
      const keys = [this.#queued];
      const args: string[] = [endpointId];
      for (const move of slice) {
        keys.push(this.#key(move.id));
        args.push(move.to);
      }
      return rowsOf(await this.#client.script<string>('fxAdvanceMany', keys, args)).map(taskOf);
    });
  }

  async requeue(id: string, now: number): Promise<TaskEntry | null> {
    return taskOf(await this.#client.script<Row>('fxRequeue', [this.#key(id), this.#queued], [id, now]));
  }

  async complete(id: string, end: TaskEnd, endpointId?: string): Promise<TaskEntry | null> {
    return (await this.completeMany([{ id, end, endpointId }]))[0]!;
  }

  completeMany(ends: readonly TaskCompletion[]): Promise<(TaskEntry | null)[]> {
    return inSlices(ends, async (slice) => {
      const keys = [this.#queued, this.#ended, this.#refs];
      const args: (string | number)[] = [this.#ttlSeconds];
      for (const { id, end, endpointId } of slice) {
        keys.push(this.#key(id));
        args.push(end.status, end.completedAt, endpointId ?? '', end.result === null ? '0' : '1', end.result ?? '', end.exception === null ? '0' : '1', end.exception ?? '');
      }
      return rowsOf(await this.#client.script<string>('fxCompleteMany', keys, args)).map(taskOf);
    });
  }

  async delete(id: string): Promise<TaskEntry | null> {
    return taskOf(await this.#client.script<Row>('fxDeleteTask', [this.#key(id), this.#queued, this.#ended, this.#refs], [id]));
  }

  endedBefore(before: number, limit: number): Promise<string[]> {
    return this.#client.redis.zrangebyscore(this.#ended, '-inf', `(${before}`, 'LIMIT', 0, limit);
  }

  waitingSince(before: number, limit: number): Promise<string[]> {
    return this.#client.redis.zrangebyscore(this.#queued, '-inf', `(${before}`, 'LIMIT', 0, limit);
  }

  async isReferenced(id: string): Promise<boolean> {
    return Number((await this.#client.redis.hget(this.#refs, id)) ?? 0) > 0;
  }
}
