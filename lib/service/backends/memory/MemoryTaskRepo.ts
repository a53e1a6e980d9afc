import { createHash } from 'node:crypto';
import { isFinalStatus, type TaskStatus } from '../../../protocol/task.js';
import type { TaskCompletion, TaskEnd, TaskEntry, TaskMove } from '../../core/records.js';
import type { TaskRepo } from '../../core/repositories.js';
import { statusRank } from '../../core/statusRank.js';

/**
 * Tasks in a Map. Each operation runs to completion without awaiting, so it is atomic in one
 * process; entries are replaced, never changed in place, and callers get them frozen.
 */
export class MemoryTaskRepo implements TaskRepo {
  readonly #tasks = new Map<string, TaskEntry>();
  /** Function and endpoint ids → live tasks using them. The repo owns it: complete and delete decrement. */
  readonly #references = new Map<string, number>();

  async get(id: string): Promise<TaskEntry | undefined> {
    return this.#tasks.get(id);
  }

  async getMany(ids: readonly string[]): Promise<Map<string, TaskEntry>> {
    const out = new Map<string, TaskEntry>();
    for (const id of ids) {
      const task = this.#tasks.get(id);
      if (task) out.set(id, task);
    }
    return out;
  }

  async insertIfAbsent(task: TaskEntry): Promise<TaskEntry | null> {
    return this.#insert(task);
  }

  // A batch runs to its end without awaiting: atomic as a whole, each item decided in order.
  async insertMany(tasks: readonly TaskEntry[]): Promise<(TaskEntry | null)[]> {
    return tasks.map((task) => this.#insert(task));
  }

  async advance(id: string, endpointId: string, to: TaskStatus): Promise<TaskEntry | null> {
    return this.#advance(id, endpointId, to);
  }

  async advanceMany(endpointId: string, moves: readonly TaskMove[]): Promise<(TaskEntry | null)[]> {
    return moves.map((move) => this.#advance(move.id, endpointId, move.to));
  }

  async requeue(id: string, now: number): Promise<TaskEntry | null> {
    const task = this.#tasks.get(id);
    if (!task || isFinalStatus(task.status)) return null;
    this.#tasks.set(id, Object.freeze({ ...task, status: 'waiting-for-ep', queuedAt: now }));
    return task;
  }

  async complete(id: string, end: TaskEnd, endpointId?: string): Promise<TaskEntry | null> {
    return this.#complete(id, end, endpointId);
  }

  async completeMany(ends: readonly TaskCompletion[]): Promise<(TaskEntry | null)[]> {
    return ends.map((item) => this.#complete(item.id, item.end, item.endpointId));
  }

  #insert(task: TaskEntry): TaskEntry | null {
    const existing = this.#tasks.get(task.id);
    if (existing) return existing;
    this.#tasks.set(task.id, Object.freeze({ ...task }));
    if (!isFinalStatus(task.status)) this.#reference(task, 1);
    return null;
  }

  #advance(id: string, endpointId: string, to: TaskStatus): TaskEntry | null {
    const task = this.#tasks.get(id);
    if (!task || task.endpointId !== endpointId || isFinalStatus(task.status) || statusRank(to) <= statusRank(task.status) || isFinalStatus(to)) return null;
    this.#tasks.set(id, Object.freeze({ ...task, status: to }));
    return task;
  }

  #complete(id: string, end: TaskEnd, endpointId: string | undefined): TaskEntry | null {
    const task = this.#tasks.get(id);
    if (!task || isFinalStatus(task.status) || (endpointId !== undefined && task.endpointId !== endpointId)) return null;
    const payloadDigest = task.payload === null ? task.payloadDigest : createHash('sha1').update(task.payload).digest('hex');
    this.#tasks.set(id, Object.freeze({ ...task, ...end, payload: null, payloadDigest }));
    this.#reference(task, -1);
    return task;
  }

  async delete(id: string): Promise<TaskEntry | null> {
    const task = this.#tasks.get(id);
    if (!task) return null;
    this.#tasks.delete(id);
    if (!isFinalStatus(task.status)) this.#reference(task, -1);
    return task;
  }

  async endedBefore(before: number, limit: number): Promise<string[]> {
    const out: string[] = [];
    for (const task of this.#tasks.values()) {
      if (out.length >= limit) break;
      if (task.completedAt !== null && task.completedAt < before) out.push(task.id);
    }
    return out;
  }

  async waitingSince(before: number, limit: number): Promise<string[]> {
    const out: string[] = [];
    for (const task of this.#tasks.values()) {
      if (out.length >= limit) break;
      if (task.status === 'waiting-for-ep' && task.queuedAt < before) out.push(task.id);
    }
    return out;
  }

  async isReferenced(id: string): Promise<boolean> {
    return (this.#references.get(id) ?? 0) > 0;
  }

  #reference(task: TaskEntry, delta: number): void {
    for (const id of [task.functionId, task.endpointId]) {
      const n = (this.#references.get(id) ?? 0) + delta;
      if (n > 0) this.#references.set(id, n);
      else this.#references.delete(id);
    }
  }
}
