import type { TaskStatus } from '../../protocol/task.js';
import type { EndpointEntry, FunctionEntry, GroupEntry, TaskCompletion, TaskEnd, TaskEntry, TaskMove, TokenHolder } from './records.js';

/**
 * The service's storage, as asynchronous repositories that take and return values. Every
 * operation that decides something is atomic in every backend (one Lua script in Redis), so two
 * replicas racing on the same task, group or token cannot both win. The `...Many` operations do
 * the same for a batch in one call (one script, one round trip): each item is decided on its own,
 * in order, exactly as the single operation would.
 */

/** Tasks. */
export interface TaskRepo {
  get(id: string): Promise<TaskEntry | undefined>;
  getMany(ids: readonly string[]): Promise<Map<string, TaskEntry>>;
  /** Inserts unless the id exists. @returns null when inserted, else the existing task */
  insertIfAbsent(task: TaskEntry): Promise<TaskEntry | null>;
  /** {@link insertIfAbsent} for each task, in order (a later one sees an earlier one). @returns one answer per task */
  insertMany(tasks: readonly TaskEntry[]): Promise<(TaskEntry | null)[]>;
  /**
   * Moves a live task forward to `to` (never back, never out of an end), if `endpointId` is its
   * endpoint. @returns the task as it was before, or null when nothing changed
   */
  advance(id: string, endpointId: string, to: TaskStatus): Promise<TaskEntry | null>;
  /** {@link advance} for each move, in order. @returns one answer per move */
  advanceMany(endpointId: string, moves: readonly TaskMove[]): Promise<(TaskEntry | null)[]>;
  /** Puts a live task back to `waiting-for-ep` (its endpoint's connection went away). @returns the task as it was before, or null */
  requeue(id: string, now: number): Promise<TaskEntry | null>;
  /**
   * Ends a live task, dropping its payload for a digest; the first end wins.
   * @returns the task as it was before, or null when it had already ended (or is unknown)
   */
  complete(id: string, end: TaskEnd, endpointId?: string): Promise<TaskEntry | null>;
  /** {@link complete} for each task, in order (of two ends of one task, the first wins). @returns one answer per item */
  completeMany(ends: readonly TaskCompletion[]): Promise<(TaskEntry | null)[]>;
  delete(id: string): Promise<TaskEntry | null>;
  /** Ids of tasks that ended before `before`, at most `limit`. */
  endedBefore(before: number, limit: number): Promise<string[]>;
  /** Ids of tasks waiting for their endpoint since before `before`, at most `limit`. */
  waitingSince(before: number, limit: number): Promise<string[]>;
  /** Whether a live (not ended) task uses this function or endpoint id. */
  isReferenced(id: string): Promise<boolean>;
}

/** Task groups: the group, its tasks in submit order, and results no subscriber has received. */
export interface GroupRepo {
  get(id: string): Promise<GroupEntry | undefined>;
  /** Creates the group for `ownerId` unless it exists, and marks it used. @returns the group as it is now */
  claim(id: string, ownerId: string, now: number): Promise<GroupEntry>;
  addTasks(id: string, taskIds: readonly string[]): Promise<void>;
  removeTask(id: string, taskId: string): Promise<void>;
  taskIds(id: string): Promise<string[]>;
  size(id: string): Promise<number>;
  addUndelivered(id: string, taskIds: readonly string[]): Promise<void>;
  removeUndelivered(id: string, taskIds: readonly string[]): Promise<void>;
  /** Takes every undelivered id at once: two subscribers draining together each get a share, none twice. */
  drainUndelivered(id: string): Promise<string[]>;
  /** Ids of groups last used before `before`, at most `limit`. */
  idleBefore(before: number, limit: number): Promise<string[]>;
  delete(id: string): Promise<void>;
}

/** Registered functions. */
export interface FunctionRepo {
  get(id: string): Promise<FunctionEntry | undefined>;
  insert(fn: FunctionEntry): Promise<void>;
  touch(id: string, now: number): Promise<void>;
  idleBefore(before: number, limit: number): Promise<string[]>;
  delete(id: string): Promise<FunctionEntry | null>;
}

/** Registered endpoints. */
export interface EndpointRepo {
  get(id: string): Promise<EndpointEntry | undefined>;
  insert(endpoint: EndpointEntry): Promise<void>;
  touch(id: string, now: number): Promise<void>;
  idleBefore(before: number, limit: number): Promise<string[]>;
  delete(id: string): Promise<EndpointEntry | null>;
}

/** Bearer tokens, by the SHA-256 of the token (lib/service/auth/secretHash.ts). */
export interface IdentityRepo {
  holder(tokenHash: string): Promise<TokenHolder | undefined>;
  insert(tokenHash: string, holder: TokenHolder): Promise<void>;
  revoke(tokenHash: string): Promise<boolean>;
}

/** Everything a backend stores. */
export interface Repositories {
  readonly tasks: TaskRepo;
  readonly groups: GroupRepo;
  readonly functions: FunctionRepo;
  readonly endpoints: EndpointRepo;
  readonly identity: IdentityRepo;
}
