import type { WebSocket } from 'ws';
import { ErrorCode } from '../../protocol/errorCodes.js';
import type { ResultFrame, StatusFrame, SubscribeFrame } from '../../protocol/task.js';
import { ApiError } from '../ApiError.js';
import type { ResolvedServiceOptions } from '../FuncXServiceOptions.js';
import type { ServiceStats } from '../ServiceStats.js';
import type { GroupEntry, TaskEntry } from '../store/records.js';
import type { GroupStore } from '../store/Stores.js';

/** One client's result socket and what it subscribed. */
interface Listener {
  readonly socket: WebSocket;
  /** Frames waiting for this tick's write. */
  pending: string[];
  readonly userId: string;
  /** Group id → whether it wants status frames. */
  readonly groups: Map<string, boolean>;
  /** Whether it answered the last ping (or sent anything since). */
  alive: boolean;
}

/** The limits a result hub enforces. */
export type ResultHubLimits = Pick<ResolvedServiceOptions, 'maxResultSocketsPerUser' | 'maxResultSockets' | 'maxSubscriptionsPerSocket' | 'pingIntervalMs'>;

/** WebSocket close code for a socket that broke a limit (RFC 6455: policy violation). */
const POLICY_VIOLATION = 1008;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The result side of the service: result sockets, their group subscriptions, and delivery of
 * finished tasks (docs/protocol.md §3 and docs/protocol-extensions.md §3). A result with no
 * subscriber waits as undelivered for the next one. Subscriptions to groups that do not exist
 * yet are kept; delivery checks that the group's owner is the socket's user.
 *
 * @example
 * ```ts
 * hub.attach(socket, userId);
 * hub.deliver(task, group);
 * ```
 */
export class ResultHub {
  readonly #byGroup = new Map<string, Set<Listener>>();
  readonly #listeners = new Set<Listener>();
  readonly #groups: GroupStore;
  readonly #stats: ServiceStats;
  readonly #tasks: { get(id: string): TaskEntry | undefined };
  readonly #limits: ResultHubLimits;
  #pingTimer: NodeJS.Timeout | null = null;

  /**
   * @param groups - the group store
   * @param tasks - reads tasks, to send undelivered results
   * @param stats - the live counters
   * @param limits - socket caps, subscriptions per socket, ping interval
   */
  constructor(groups: GroupStore, tasks: { get(id: string): TaskEntry | undefined }, stats: ServiceStats, limits: ResultHubLimits) {
    this.#groups = groups;
    this.#tasks = tasks;
    this.#stats = stats;
    this.#limits = limits;
  }

  /**
   * Whether a user may open one more result socket (checked before the handshake completes).
   *
   * @param userId - the user
   * @returns null when it may, else the refusal
   */
  refusal(userId: string): ApiError | null {
    const own = this.#stats.of(userId, 'resultSocketsOpen');
    if (own >= this.#limits.maxResultSocketsPerUser) {
      return new ApiError(ErrorCode.CONNECTION_LIMIT, `This user already has ${own} result sockets open; the limit is ${this.#limits.maxResultSocketsPerUser}`, [own, this.#limits.maxResultSocketsPerUser], 5);
    }
    if (this.#listeners.size >= this.#limits.maxResultSockets) {
      return new ApiError(ErrorCode.CONNECTION_LIMIT, `The service has ${this.#listeners.size} result sockets open, its limit`, [this.#listeners.size], 5);
    }
    return null;
  }

  /** The open result sockets. */
  get sockets(): ReadonlySet<WebSocket> {
    return new Set([...this.#listeners].map((l) => l.socket));
  }

  /**
   * Takes a freshly opened, authenticated result socket.
   *
   * @param socket - the socket
   * @param userId - its user
   * @returns nothing
   */
  attach(socket: WebSocket, userId: string): void {
    // A socket error is followed by close; without a listener it would be thrown.
    socket.on('error', () => {});
    const listener: Listener = { socket, userId, groups: new Map(), pending: [], alive: true };
    this.#listeners.add(listener);
    this.#stats.add(userId, 'resultSocketsOpen', 1);
    this.#stats.add(userId, 'resultSocketsTotal', 1);
    socket.on('message', (data, isBinary) => {
      listener.alive = true;
      if (!isBinary) this.#subscribe(listener, String(data));
    });
    socket.on('pong', () => (listener.alive = true));
    socket.on('close', () => {
      this.#listeners.delete(listener);
      this.#stats.add(userId, 'resultSocketsOpen', -1);
      // The hub owns #byGroup: a closed socket's entries, and sets left empty, go with it.
      for (const group of listener.groups.keys()) {
        const set = this.#byGroup.get(group);
        set?.delete(listener);
        if (set?.size === 0) this.#byGroup.delete(group);
      }
      listener.groups.clear();
      if (this.#listeners.size === 0) this.#stopPings();
    });
    this.#startPings();
  }

  /** How many groups have at least one subscribed socket (for specs and the stress bench). */
  get subscribedGroups(): number {
    return this.#byGroup.size;
  }

  /** Stops the ping timer; the sockets themselves are closed by the server. */
  close(): void {
    this.#stopPings();
  }

  #startPings(): void {
    if (this.#pingTimer) return;
    this.#pingTimer = setInterval(() => {
      for (const listener of this.#listeners) {
        if (!listener.alive) {
          listener.socket.terminate();
          continue;
        }
        listener.alive = false;
        listener.socket.ping();
      }
    }, this.#limits.pingIntervalMs);
    this.#pingTimer.unref();
  }

  #stopPings(): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = null;
  }

  /**
   * Sends a finished task to every socket subscribed to its group, or keeps it for the next one.
   *
   * @param task - the finished task
   * @param group - its group
   * @returns nothing
   */
  deliver(task: TaskEntry, group: GroupEntry): void {
    const frame = JSON.stringify(toFrame(task));
    let sent = false;
    for (const listener of this.#byGroup.get(group.id) ?? []) {
      if (listener.userId !== group.ownerId || listener.socket.readyState !== listener.socket.OPEN) continue;
      this.#send(listener, frame);
      sent = true;
    }
    if (!sent) group.undelivered.add(task.id);
  }

  /**
   * Sends a status change to the sockets that asked for statuses of its group.
   *
   * @param task - the task
   * @returns nothing
   */
  pushStatus(task: TaskEntry): void {
    const listeners = this.#byGroup.get(task.groupId);
    if (listeners === undefined) return;
    let frame: string | null = null;
    for (const listener of listeners) {
      if (!listener.groups.get(task.groupId) || listener.userId !== task.ownerId) continue;
      frame ??= JSON.stringify({ type: 'status', task_id: task.id, status: task.status } satisfies StatusFrame);
      this.#send(listener, frame);
    }
  }

  /**
   * Closes every result socket: abruptly (as a dropped connection, 1006 on the client) or with a
   * close code. For tests and chaos runs.
   *
   * @param code - a close code, or undefined to terminate
   * @returns how many sockets were closed
   */
  drop(code?: number): number {
    const listeners = [...this.#listeners];
    for (const { socket } of listeners) (code === undefined ? socket.terminate() : socket.close(code));
    return listeners.length;
  }

  /**
   * Queues a frame; the frames of one tick are written together. Still one WebSocket frame per
   * task, as funcX sends, but one system call for many of them instead of one each.
   */
  #send(listener: Listener, frame: string): void {
    if (listener.pending.push(frame) > 1) return;
    setImmediate(() => {
      const frames = listener.pending;
      listener.pending = [];
      const { socket } = listener;
      if (socket.readyState !== socket.OPEN) return;
      // ws writes each frame straight to the TCP socket; corking it turns them into one writev.
      const tcp = (socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
      tcp?.cork();
      for (const text of frames) socket.send(text);
      tcp?.uncork();
    });
  }

  #subscribe(listener: Listener, text: string): void {
    const request = parseSubscribe(text.trim());
    // Malformed frames are ignored, as a funcX client would never send them.
    if (request === null) return;
    const groupId = request.task_group_id.toLowerCase();
    if (!listener.groups.has(groupId) && listener.groups.size >= this.#limits.maxSubscriptionsPerSocket) {
      listener.socket.close(POLICY_VIOLATION, `more than ${this.#limits.maxSubscriptionsPerSocket} task groups on one socket`);
      return;
    }
    listener.groups.set(groupId, request.statuses === true);
    let set = this.#byGroup.get(groupId);
    if (set === undefined) this.#byGroup.set(groupId, (set = new Set()));
    set.add(listener);
    const group = this.#groups.get(groupId);
    if (group === undefined || group.ownerId !== listener.userId) return;
    for (const taskId of group.undelivered) {
      const task = this.#tasks.get(taskId);
      if (task) this.#send(listener, JSON.stringify(toFrame(task)));
    }
    group.undelivered.clear();
  }
}

function parseSubscribe(text: string): SubscribeFrame | null {
  if (UUID.test(text)) return { task_group_id: text };
  if (!text.startsWith('{')) return null;
  try {
    const parsed = JSON.parse(text) as Partial<SubscribeFrame>;
    return typeof parsed.task_group_id === 'string' && UUID.test(parsed.task_group_id) ? { task_group_id: parsed.task_group_id, statuses: parsed.statuses === true } : null;
  } catch {
    return null;
  }
}

/**
 * A finished task as its result frame.
 *
 * @param task - an ended task
 * @returns the frame
 */
export function toFrame(task: TaskEntry): ResultFrame {
  return {
    task_id: task.id,
    status: task.status as ResultFrame['status'],
    result: task.result,
    completion_t: ((task.completedAt ?? Date.now()) / 1000).toFixed(3),
    exception: task.exception,
  };
}
