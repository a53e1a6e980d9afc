import { canMove, INITIAL_STATUS, isFinalStatus, WAITING_STATUS } from '../../../protocol/lifecycle.js';
import type { DoomedTask, TaskCompletion, TaskEntry, TaskMove } from '../../core/records.js';
import type { TaskRepo } from '../../core/repositories.js';
import { MemoryDependencies } from './MemoryDependencies.js';

/** What counts the tasks' changes (the memory backend's {@link ServiceStats}). */
export interface TaskTally {
  taskChanged(before: TaskEntry | null, after: TaskEntry | null): void;
}

/**
 * Tasks in a Map. Each operation runs to completion without awaiting, so it is atomic in one
 * process. Entries are replaced, never changed in place, and no stored entry is handed out: reads
 * answer copies, writes answer the entry they replaced (values out, as from Redis; copying on read
 * costs a tenth of freezing on write, which the hot path did three times per task).
 */
export class MemoryTaskRepo implements TaskRepo {
  readonly #tasks = new Map<string, TaskEntry>();
  /** `<owner> <function or endpoint id>` → live tasks using it (counted per user, as in Redis). The repo owns it: complete and delete decrement. */
  readonly #references = new Map<string, number>();
  /** Who waits on whom (docs/protocol-extensions.md §12). */
  readonly dependencies = new MemoryDependencies();
  readonly #tally: TaskTally | null;

  /** @param tally - told of every task this repository stores, changes or deletes, in the same step */
  constructor(tally: TaskTally | null = null) {
    this.#tally = tally;
  }

  /** Every write of a task goes through here, so that the counters follow the store exactly. */
  #put(before: TaskEntry | null, after: TaskEntry): void {
    this.#tasks.set(after.id, after);
    this.#tally?.taskChanged(before, after);
  }

  /** The owner's task by id (another user's is none). */
  #mine(ownerId: string, id: string): TaskEntry | undefined {
    const task = this.#tasks.get(id);
    return task !== undefined && task.ownerId === ownerId ? task : undefined;
  }

  async get(ownerId: string, id: string): Promise<TaskEntry | undefined> {
    const task = this.#mine(ownerId, id);
    return task === undefined ? undefined : { ...task };
  }

  async getMany(ownerId: string, ids: readonly string[]): Promise<Map<string, TaskEntry>> {
    const out = new Map<string, TaskEntry>();
    for (const id of ids) {
      const task = this.#mine(ownerId, id);
      if (task) out.set(id, { ...task });
    }
    return out;
  }

  /**
   * Inserts the tasks whose ids are new, synchronously: part of MemoryBackend's atomic submit.
   * @returns per task, null when inserted, else the existing task
   */
  insertNow(tasks: readonly TaskEntry[]): (TaskEntry | null)[] {
    return tasks.map((task) => {
      const existing = this.#tasks.get(task.id);
      if (existing) return { ...existing };
      this.#put(null, { ...task });
      this.#reference(task, 1);
      return null;
    });
  }

  /**
   * Registers a new task with inputs on them, synchronously: part of MemoryBackend's atomic
   * submit. A task whose inputs have all succeeded is released at once.
   * @returns `released`, `waiting`, or the input that dooms it
   */
  registerNow(task: TaskEntry): 'released' | 'waiting' | { doomedBy: string } {
    const { pending, doomedBy } = this.dependencies.register(task.id, task.inputs ?? [], (id) => this.#tasks.get(id)?.status);
    if (doomedBy !== null) return { doomedBy };
    if (pending > 0) return 'waiting';
    const stored = this.#tasks.get(task.id)!;
    this.#put(stored, { ...stored, status: INITIAL_STATUS, queuedAt: Date.now() });
    return 'released';
  }

  /**
   * Settles the dependants of tasks that just ended, synchronously: part of MemoryBackend's
   * atomic report. A success counts down each waiting dependant and releases those with no input
   * left; any other end dooms them.
   * @param ended - per end, the task before, or null when it did not end here
   * @param ends - the ends
   * @returns the released dependants as they were before, and the doomed ones
   */
  settleDependantsNow(ended: readonly (TaskEntry | null)[], ends: readonly TaskCompletion[]): { released: TaskEntry[]; doomed: DoomedTask[] } {
    const released: TaskEntry[] = [];
    const doomed: DoomedTask[] = [];
    const now = Date.now();
    ended.forEach((before, i) => {
      if (before === null) return;
      const succeeded = ends[i]!.end.status === 'success';
      for (const id of this.dependencies.takeDependants(before.id)) {
        const task = this.#tasks.get(id);
        // Ended meanwhile (cancelled, or doomed by another input): nothing to settle.
        if (!task || task.status !== WAITING_STATUS) continue;
        if (!succeeded) doomed.push({ task: { ...task }, inputId: before.id });
        else if (this.dependencies.countDown(id)) {
          this.#put(task, { ...task, status: INITIAL_STATUS, queuedAt: now });
          released.push(task);
        }
      }
    });
    return { released, doomed };
  }

  /**
   * Puts live tasks back to `waiting-for-ep`, synchronously: part of the memory bus's atomic
   * release and reclaim.
   * @returns per id, the task as it was before, or null when it had ended (or is unknown)
   */
  requeueNow(ids: readonly string[], now: number): (TaskEntry | null)[] {
    return ids.map((id) => {
      const task = this.#tasks.get(id);
      // A waiting task was never queued: nothing of it can be given back.
      if (!task || isFinalStatus(task.status) || task.status === WAITING_STATUS) return null;
      this.#put(task, { ...task, status: INITIAL_STATUS, queuedAt: now });
      return task;
    });
  }

  /**
   * Moves tasks forward, synchronously (the memory bus claims tasks with it).
   * @returns per move, the task before, or null
   */
  advanceNow(ownerId: string, endpointId: string, moves: readonly TaskMove[], kind: 'dispatch' | 'report' = 'report'): (TaskEntry | null)[] {
    return moves.map(({ id, to }) => {
      const task = this.#mine(ownerId, id);
      if (!task || task.endpointId !== endpointId || !canMove(kind, task.status, to)) return null;
      this.#put(task, { ...task, status: to });
      return task;
    });
  }

  /**
   * Ends live tasks, synchronously: part of MemoryBackend's atomic report. The sweep is this
   * backend's expiry: ended tasks are kept until it deletes them, at `retentionMs`.
   * @returns per end, the task before, or null
   */
  completeNow(ownerId: string, ends: readonly TaskCompletion[]): (TaskEntry | null)[] {
    return ends.map(({ id, end, endpointId }) => {
      const task = this.#mine(ownerId, id);
      if (!task || !canMove('end', task.status, end.status) || (endpointId !== undefined && task.endpointId !== endpointId)) return null;
      this.#put(task, { ...task, ...end, payload: null });
      this.#reference(task, -1);
      if (task.status === WAITING_STATUS) this.dependencies.forget(id);
      return task;
    });
  }

  async deleteMany(ownerId: string, ids: readonly string[]): Promise<(TaskEntry | null)[]> {
    return ids.map((id) => {
      const task = this.#mine(ownerId, id);
      if (!task) return null;
      this.#tasks.delete(id);
      this.#tally?.taskChanged(task, null);
      if (!isFinalStatus(task.status)) this.#reference(task, -1);
      // Its waiting dependants find it gone (the sweep fails them); its own count goes.
      this.dependencies.takeDependants(id);
      this.dependencies.forget(id);
      return task;
    });
  }

  async endedBefore(ownerId: string, before: number, limit: number): Promise<string[]> {
    const out: string[] = [];
    for (const task of this.#tasks.values()) {
      if (out.length >= limit) break;
      if (task.ownerId === ownerId && task.completedAt !== null && task.completedAt < before) out.push(task.id);
    }
    return out;
  }

  async waitingSince(ownerId: string, before: number, limit: number): Promise<string[]> {
    const out: string[] = [];
    for (const task of this.#tasks.values()) {
      if (out.length >= limit) break;
      if (task.ownerId === ownerId && task.status === 'waiting-for-ep' && task.queuedAt < before) out.push(task.id);
    }
    return out;
  }

  async waitingForInputs(ownerId: string, before: number, limit: number): Promise<string[]> {
    const out: string[] = [];
    for (const task of this.#tasks.values()) {
      if (out.length >= limit) break;
      if (task.ownerId === ownerId && task.status === WAITING_STATUS && task.queuedAt < before) out.push(task.id);
    }
    return out;
  }

  // Counted per owner, as the Redis backend counts in each user's hash.
  async isReferenced(ownerId: string, id: string): Promise<boolean> {
    return (this.#references.get(`${ownerId} ${id}`) ?? 0) > 0;
  }

  #reference(task: TaskEntry, delta: number): void {
    for (const id of [`${task.ownerId} ${task.functionId}`, `${task.ownerId} ${task.endpointId}`]) {
      const n = (this.#references.get(id) ?? 0) + delta;
      if (n > 0) this.#references.set(id, n);
      else this.#references.delete(id);
    }
  }
}
