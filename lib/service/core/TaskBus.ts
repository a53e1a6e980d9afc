import type { Observable } from 'rxjs';
import type { PartialFrame, ResultFrame, StatusFrame } from '../../protocol/task.js';
import type { TaskEntry } from './records.js';

/** What a task group's subscribers hear: a status change, a generator's partial (§11) or an end, with the frame to send. */
export interface GroupEvent {
  readonly groupId: string;
  readonly ownerId: string;
  /** The frame's `task_id`. */
  readonly taskId: string;
  readonly frame: ResultFrame | StatusFrame | PartialFrame;
}

/** What the replica holding an endpoint's connection must do for a task it may have sent. */
export type ControlEvent =
  | { readonly type: 'cancel'; readonly taskId: string }
  /** The task's readers caught up: its generator may stream up to this cumulative credit (§11). */
  | { readonly type: 'credit'; readonly taskId: string; readonly count: number; readonly bytes: number };

/** A task taken from an endpoint's queue, with the reference that acknowledges it. */
export interface TakenTask {
  readonly ref: string;
  readonly taskId: string;
}

/** A task taken from an endpoint's queue and claimed for dispatch (see {@link EndpointQueue.takeAndClaim}). */
export interface ClaimedTask extends TakenTask {
  /** The task as it was before its claim, or null when it was not claimed (it ended meanwhile, or was queued twice). */
  readonly before: TaskEntry | null;
}

/**
 * One consumer of an endpoint's work queue: one endpoint connection. Tasks it takes stay its own
 * until acknowledged (the task ended) or given back (the connection closed, or its replica died
 * and another reclaimed them).
 */
export interface EndpointQueue {
  /** Emits when work may be waiting, so the consumer calls {@link take}. */
  readonly wake$: Observable<void>;
  take(max: number): Promise<TakenTask[]>;
  /**
   * Takes up to `max` tasks, as {@link take}, and claims each in the same step (one script in
   * Redis, a round trip fewer for a freed slot): a task moves from `waiting-for-ep` to
   * `waiting-for-nodes`, as a report's move would, if it is waiting for this
   * queue's endpoint. Only the broker calls it (it counts and tells the moves).
   */
  takeAndClaim(max: number): Promise<ClaimedTask[]>;
  ack(refs: readonly string[]): Promise<void>;
  /**
   * Gives back everything taken and not acknowledged, including what a take whose answer was
   * lost took, and requeues those still live, in one atomic step.
   * @returns the requeued tasks as they were before
   */
  release(): Promise<TaskEntry[]>;
}

/**
 * The event bus between the broker, which decides, and the hubs, which own sockets: per-endpoint
 * work queues with acknowledgements, per-endpoint control messages, and per-group events. In
 * memory it is Subjects and arrays; in Redis, streams with consumer groups and pub/sub.
 */
export interface TaskBus {
  control(endpointId: string, event: ControlEvent): Promise<void>;
  controlEvents(endpointId: string): Observable<ControlEvent>;
  /**
   * Publishes events in order; each group's subscribers hear its own ones as if published one by
   * one (a Redis backend sends one message per group).
   */
  publishMany(events: readonly GroupEvent[]): Promise<void>;
  /** Hot, ref-counted per group and process: subscribed while a socket here follows the group. */
  groupEvents(groupId: string): Observable<GroupEvent>;
  /** Resolves once this process receives the group's events (a Redis SUBSCRIBE is acknowledged). */
  groupReady(groupId: string): Promise<void>;
  /** An endpoint's queue as one of its connections takes from it. `ownerId` is the endpoint's owner (the queue is found under it in Redis). */
  queue(ownerId: string, endpointId: string, consumerId: string): EndpointQueue;
  /**
   * Takes an ended task out of its endpoint's queue if nobody took it yet. Best effort: a task
   * still queued is skipped (and acknowledged) when taken, since only live tasks are sent.
   */
  withdraw(endpointId: string, taskId: string): Promise<void>;
  /** Drops an endpoint's queue (the endpoint is deleted). */
  forget(ownerId: string, endpointId: string): Promise<void>;
  /**
   * Takes back what consumers no longer alive had taken and requeues what is still live, each
   * consumer in one atomic step (as {@link EndpointQueue.release}).
   * @returns the requeued tasks as they were before
   */
  reclaim(ownerId: string, endpointId: string, alive: (consumerId: string) => boolean): Promise<TaskEntry[]>;
}

/** Which endpoint connections are alive, across every replica. */
export interface Presence {
  heartbeat(endpointId: string, consumerId: string, ttlMs: number): Promise<void>;
  leave(endpointId: string, consumerId: string): Promise<void>;
  isOnline(endpointId: string): Promise<boolean>;
  /** The consumers whose heartbeat has not expired. */
  consumers(endpointId: string): Promise<Set<string>>;
}
