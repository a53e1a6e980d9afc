import type { EndpointEntry, FunctionEntry, GroupEntry, ReportOutcome, SubmitOutcome, TaskCompletion, TaskEntry, TaskMove, TokenHolder } from './records.js';

/**
 * The service's storage, as asynchronous repositories that take and return values. Every
 * operation that decides something is atomic in every backend (one Lua script in Redis), so two
 * replicas racing on the same task, group or token cannot both win. The `...Many` operations do
 * the same for a batch in one call (one script, one round trip): each item is decided on its own,
 * in order, exactly as the single operation would.
 */

/**
 * Tasks. Every task belongs to one user, and is found under its owner: a task id is unique among
 * one user's tasks, and another user's task is no task at all to the caller (in Redis, a user's
 * tasks, groups' task lists and queues share one hash tag, so that one script can decide on all
 * of them on a Redis Cluster: docs/architecture.md).
 */
export interface TaskRepo {
  get(ownerId: string, id: string): Promise<TaskEntry | undefined>;
  getMany(ownerId: string, ids: readonly string[]): Promise<Map<string, TaskEntry>>;
  /** Deletes tasks. @returns per id, the task as it was, or null when there was none */
  deleteMany(ownerId: string, ids: readonly string[]): Promise<(TaskEntry | null)[]>;
  /** Ids of the owner's tasks that ended before `before`, at most `limit`. */
  endedBefore(ownerId: string, before: number, limit: number): Promise<string[]>;
  /** Ids of the owner's tasks waiting for their endpoint since before `before`, at most `limit`. */
  waitingSince(ownerId: string, before: number, limit: number): Promise<string[]>;
  /** Ids of the owner's tasks waiting for their inputs since before `before`, at most `limit` (the sweep checks them). */
  waitingForInputs(ownerId: string, before: number, limit: number): Promise<string[]>;
  /** Whether a live (not ended) task of the owner uses this function or endpoint id. */
  isReferenced(ownerId: string, id: string): Promise<boolean>;
}

/**
 * Task groups: the group, its tasks in submit order, and results no subscriber has received. A
 * group id is one user's across the service (`claim`, `get`); its tasks are found under that owner.
 */
export interface GroupRepo {
  get(id: string): Promise<GroupEntry | undefined>;
  /** Creates the group for `ownerId` unless it exists, and marks it used. @returns the group as it is now */
  claim(id: string, ownerId: string, now: number): Promise<GroupEntry>;
  /** Takes tasks out of the group (they were deleted). */
  removeTasks(ownerId: string, id: string, taskIds: readonly string[]): Promise<void>;
  /** The group's task ids in submit order: all of them, or `limit` from `offset`. */
  taskIds(ownerId: string, id: string, offset?: number, limit?: number): Promise<string[]>;
  size(ownerId: string, id: string): Promise<number>;
  removeUndelivered(ownerId: string, id: string, taskIds: readonly string[]): Promise<void>;
  /** Takes every undelivered id at once: two subscribers draining together each get a share, none twice. */
  drainUndelivered(ownerId: string, id: string): Promise<string[]>;
  /** Ids of the owner's groups last used before `before`, at most `limit`. */
  idleBefore(ownerId: string, before: number, limit: number): Promise<string[]>;
  /** The users who hold any group (every task is in one): whose tasks and groups the sweep visits. */
  owners(): Promise<string[]>;
  /** Deletes the group if it is still empty and last used before `before`. @returns whether it was deleted */
  delete(ownerId: string, id: string, before: number): Promise<boolean>;
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
  /** A user's endpoints, at most `limit`, in no set order (for `GET /v2/endpoints`). */
  ownedBy(ownerId: string, limit: number): Promise<EndpointEntry[]>;
}

/** Bearer tokens, by the SHA-256 of the token (lib/service/auth/secretHash.ts). */
export interface IdentityRepo {
  holder(tokenHash: string): Promise<TokenHolder | undefined>;
  insert(tokenHash: string, holder: TokenHolder): Promise<void>;
  revoke(tokenHash: string): Promise<boolean>;
}

/**
 * The one write of a submit: for tasks of one endpoint and one group, each new id is stored,
 * joins the group (in submit order) and goes on the endpoint's queue, all in one atomic step; an
 * id that exists is left alone and answered with its task (the use case decides whether it is
 * the same task, retried). After a failure, a retry finds each task absent or complete.
 *
 * A task with inputs (status `waiting-for-deps`) is registered on each live input in the same
 * step, so that an input ending at that moment is never missed: when every input has already
 * succeeded it is released (stored in `waiting-for-ep` and queued) at once; when one has ended
 * otherwise or is gone it is left waiting and answered as doomed, for the caller to fail. Its
 * inputs must already be stored (earlier in the same batch counts).
 */
export interface SubmitPort {
  submit(groupId: string, endpointId: string, tasks: readonly TaskEntry[]): Promise<SubmitOutcome>;
}

/**
 * The one write of a report (and of a cancel or an expiry, with no moves): live tasks moved
 * forward (never back, never out of an end, see `canMove('report', ...)` in
 * lib/protocol/lifecycle.ts), each if `endpointId` is its endpoint; then live tasks ended, in
 * order (of two ends of one task, the first wins), each payload dropped (its digest stays), each
 * ended task marked undelivered in its group; all in one atomic step. An ended task is kept for
 * `retentionMs` at least; the sweep deletes it then (a backend may also expire it a little later
 * by itself).
 *
 * In the same step, each task that ends settles its waiting dependants: a success counts down
 * each one's inputs and releases (moves to `waiting-for-ep` and queues) those with none left;
 * any other end answers them as doomed, for the caller to fail (and the sweep, should the caller
 * die first). An ended or deleted task forgets its dependants.
 */
export interface ReportPort {
  report(ownerId: string, endpointId: string, moves: readonly TaskMove[], ends: readonly TaskCompletion[], retentionMs: number): Promise<ReportOutcome>;
}

/** How much of one task's partials the service holds (docs/limits.md, §11). */
export interface PartialWindow {
  /** Partials heard and not read yet, at most. */
  readonly maxUnread: number;
  /** Their value bytes, at most (one partial larger than this goes when it is the only one unread). */
  readonly maxUnreadBytes: number;
  /** Partials read already that are kept for late readers, at most (older ones go). */
  readonly history: number;
  /** How long a task's partials are kept after the last write, in milliseconds (the service's retention). */
  readonly retentionMs: number;
}

/** A partial to append: the task's group (its keys' hash tag in Redis), its seq and its serialized value. */
export interface PartialItem {
  readonly groupId: string;
  readonly taskId: string;
  readonly seq: number;
  readonly value: string;
}

/**
 * What an append did with one partial: `stored`; `duplicate` (its seq was heard before: a task
 * run again yields from 0 again, the first value wins); `gap` (a seq past the next one: never from
 * an endpoint that keeps the protocol); `over` (past the task's credit).
 */
export type AppendVerdict = 'stored' | 'duplicate' | 'gap' | 'over';

/** The credit of a task: partials with `seq < count`, `bytes` value bytes in all (`PartialCredit` on the endpoint channel). */
export interface Credit {
  readonly count: number;
  readonly bytes: number;
}

/** A task's partials the service still holds: from index `first`, `count` heard in all, `acked` read. */
export interface HeldPartials {
  readonly taskId: string;
  readonly first: number;
  readonly count: number;
  readonly acked: number;
  readonly values: readonly string[];
}

/**
 * A generator's partials (docs/protocol-extensions.md §11), per task, in order: appended as the
 * endpoint sends them (each seq once, within the task's credit), acknowledged as readers read
 * them, trimmed to the window's history. Every operation is atomic per task and batch-only; in
 * Redis every key of a task's partials carries its group's hash tag.
 */
export interface PartialRepo {
  /**
   * Appends partials, in order, each decided on its own (see {@link AppendVerdict}).
   * @returns per item its verdict
   */
  append(items: readonly PartialItem[], window: PartialWindow): Promise<AppendVerdict[]>;
  /**
   * Marks each task's partials read up to and including `seq` (cumulative; never past what was heard).
   * @returns per item the task's new credit when it grew, else null
   */
  ack(items: readonly { readonly groupId: string; readonly taskId: string; readonly seq: number }[], window: PartialWindow): Promise<(Credit | null)[]>;
  /** The task's credit now (the first one a task's run gets). */
  credit(groupId: string, taskId: string, window: PartialWindow): Promise<Credit>;
  /** The held partials of one task from index `from`, at most `limit`. */
  read(groupId: string, taskId: string, from: number, limit: number): Promise<HeldPartials>;
  /** The unread partials of the group's tasks (those with any), at most `limit` values in all. */
  unread(groupId: string, limit: number): Promise<HeldPartials[]>;
  /** Forgets the partials of deleted tasks. */
  remove(groupId: string, taskIds: readonly string[]): Promise<void>;
}

/** Everything a backend stores. */
export interface Repositories {
  readonly tasks: TaskRepo;
  readonly partials: PartialRepo;
  readonly groups: GroupRepo;
  readonly functions: FunctionRepo;
  readonly endpoints: EndpointRepo;
  readonly identity: IdentityRepo;
}
