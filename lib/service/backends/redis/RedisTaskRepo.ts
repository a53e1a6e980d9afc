import type { TaskStatus } from '../../../protocol/task.js';
import type { TaskEnd, TaskEntry } from '../../core/records.js';
import type { TaskRepo } from '../../core/repositories.js';
import { fieldsOf, type RedisClient } from './RedisClient.js';

function toTask(fields: Record<string, string> | undefined): TaskEntry | undefined {
  if (fields === undefined || fields.id === undefined) return undefined;
  return {
    id: fields.id,
    ownerId: fields.ownerId!,
    groupId: fields.groupId!,
    functionId: fields.functionId!,
    endpointId: fields.endpointId!,
    payload: fields.payload ?? null,
    payloadDigest: fields.payloadDigest ?? null,
    status: fields.status as TaskStatus,
    result: fields.result ?? null,
    exception: fields.exception ?? null,
    queuedAt: Number(fields.queuedAt),
    completedAt: fields.completedAt === undefined ? null : Number(fields.completedAt),
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
    return this.#client.key('t', id);
  }

  get #queued(): string {
    return this.#client.key('queued');
  }

  get #ended(): string {
    return this.#client.key('ended');
  }

  get #refs(): string {
    return this.#client.key('refs');
  }

  async get(id: string): Promise<TaskEntry | undefined> {
    return toTask(await this.#client.redis.hgetall(this.#key(id)));
  }

  async getMany(ids: readonly string[]): Promise<Map<string, TaskEntry>> {
    const found = await Promise.all(ids.map((id) => this.get(id)));
    const out = new Map<string, TaskEntry>();
    for (const task of found) if (task) out.set(task.id, task);
    return out;
  }

  async insertIfAbsent(task: TaskEntry): Promise<TaskEntry | null> {
    const fields: (string | number)[] = [];
    for (const [field, value] of Object.entries(task)) if (value !== null) fields.push(field, value as string | number);
    const existing = await this.#client.script<string[] | null>('fxInsertTask', [this.#key(task.id), this.#queued, this.#refs], [task.id, task.queuedAt, task.functionId, task.endpointId, ...fields]);
    return toTask(fieldsOf(existing)) ?? null;
  }

  async advance(id: string, endpointId: string, to: TaskStatus): Promise<TaskEntry | null> {
    return toTask(fieldsOf(await this.#client.script<string[] | null>('fxAdvance', [this.#key(id), this.#queued], [id, endpointId, to]))) ?? null;
  }

  async requeue(id: string, now: number): Promise<TaskEntry | null> {
    return toTask(fieldsOf(await this.#client.script<string[] | null>('fxRequeue', [this.#key(id), this.#queued], [id, now]))) ?? null;
  }

  async complete(id: string, end: TaskEnd, endpointId?: string): Promise<TaskEntry | null> {
    const args = [id, end.status, end.completedAt, endpointId ?? '', end.result === null ? '0' : '1', end.result ?? '', end.exception === null ? '0' : '1', end.exception ?? '', this.#ttlSeconds];
    return toTask(fieldsOf(await this.#client.script<string[] | null>('fxComplete', [this.#key(id), this.#queued, this.#ended, this.#refs], args))) ?? null;
  }

  async delete(id: string): Promise<TaskEntry | null> {
    return toTask(fieldsOf(await this.#client.script<string[] | null>('fxDeleteTask', [this.#key(id), this.#queued, this.#ended, this.#refs], [id]))) ?? null;
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
