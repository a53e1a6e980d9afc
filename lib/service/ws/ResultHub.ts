import type { Subscription } from 'rxjs';
import type { WebSocket } from 'ws';
import { ErrorCode } from '../../protocol/errorCodes.js';
import { MAX_ACKS_PER_FRAME, resultFrame, type AckFrame, type PartialFrame, type ResultFrame, type StatusFrame, type SubscribeFrame } from '../../protocol/task.js';
import type { PartialCases } from '../tasks/PartialCases.js';
import { ApiError } from '../ApiError.js';
import type { ResolvedServiceOptions } from '../FuncXServiceOptions.js';
import { limitHint } from '../limitHint.js';
import { logFailure } from '../log.js';
import type { ResultDelivery } from '../tasks/ResultDelivery.js';
import type { TaskEntry } from '../core/records.js';
import type { GroupEvent } from '../core/TaskBus.js';
import { AnswerGate } from './AnswerGate.js';
import { SentOnce } from './SentOnce.js';

/** One client's result socket and what it subscribed. */
interface Listener {
  readonly socket: WebSocket;
  /** Frames waiting for this tick's write. */
  pending: string[];
  readonly userId: string;
  /**
   * A funcx-rx client (it connected with `batch=1`, docs/protocol-extensions.md §3): it takes a
   * result before its submit answer, so results are not held for the answer (AnswerGate).
   */
  readonly early: boolean;
  /** Group id → what else it wants besides results: status frames, partial frames (§11). */
  readonly groups: Map<string, Wants>;
  /** Whether it answered the last ping (or sent anything since). */
  alive: boolean;
  /** Results it was sent: each goes to a socket once. */
  readonly sent: SentOnce;
}

/** What a socket wants of a group besides its results. */
interface Wants {
  readonly statuses: boolean;
  readonly partials: boolean;
}

/** The local sockets following one group, and this process's subscription to its events. */
interface Followed {
  readonly listeners: Set<Listener>;
  readonly subscription: Subscription;
}

/** The limits a result hub enforces. */
export type ResultHubLimits = Pick<ResolvedServiceOptions, 'maxResultSocketsPerUser' | 'maxResultSockets' | 'maxSubscriptionsPerSocket' | 'pingIntervalMs' | 'logger'>;

/** The most unread partials a subscribe drains at once, over all of a group's tasks (the rest come as the reader acknowledges, or over HTTP). */
const DRAIN_PARTIALS = 10_000;

/** WebSocket close code for a socket that broke a limit (RFC 6455: policy violation). */
const POLICY_VIOLATION = 1008;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The result side of one replica: its result sockets, their group subscriptions, and delivery
 * (docs/protocol-extensions.md §3). For each group a local socket follows, the hub listens to that
 * group's events on the bus, wherever the task ran. A result no socket received waits as
 * undelivered in the group, and the next socket to subscribe it (on any replica) drains it.
 *
 * @example
 * ```ts
 * hub.attach(socket, userId);
 * ```
 */
export class ResultHub {
  readonly #byGroup = new Map<string, Followed>();
  readonly #listeners = new Set<Listener>();
  /** Results delivered this tick, by owner and group (`<owner> <group>`); emptied by the next tick's one call per group. */
  readonly #deliveredByGroup = new Map<string, { ownerId: string; groupId: string; taskIds: string[] }>();
  readonly #delivery: ResultDelivery;
  readonly #partials: PartialCases;
  readonly #limits: ResultHubLimits;
  /** Groups whose submit is being answered: their results wait (funcX 0.3.x makes futures from the answer). */
  readonly #gate: AnswerGate;
  #pingTimer: NodeJS.Timeout | null = null;

  /**
   * @param delivery - the use cases of result sockets (the hub touches no store)
   * @param partials - the use cases of partial results: unread ones for a subscribe, acks
   * @param limits - socket caps, subscriptions per socket, ping interval
   * @param gate - holds a group's results while a submit to it is being answered
   */
  constructor(delivery: ResultDelivery, partials: PartialCases, limits: ResultHubLimits, gate: AnswerGate = new AnswerGate()) {
    this.#delivery = delivery;
    this.#partials = partials;
    this.#limits = limits;
    this.#gate = gate;
  }

  /**
   * Whether a user may open one more result socket (checked before the handshake completes).
   *
   * @param userId - the user
   * @returns null when it may, else the refusal
   */
  async refusal(userId: string): Promise<ApiError | null> {
    const own = await this.#delivery.openSockets(userId);
    if (own >= this.#limits.maxResultSocketsPerUser) {
      return new ApiError(ErrorCode.CONNECTION_LIMIT, `This user already has ${own} result sockets open; the limit is ${this.#limits.maxResultSocketsPerUser} ${limitHint('maxResultSocketsPerUser')}`, [own, this.#limits.maxResultSocketsPerUser], 5);
    }
    if (this.#listeners.size >= this.#limits.maxResultSockets) {
      return new ApiError(ErrorCode.CONNECTION_LIMIT, `The service has ${this.#listeners.size} result sockets open, its limit ${limitHint('maxResultSockets')}`, [this.#listeners.size], 5);
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
   * @param early - a funcx-rx client (`batch=1`): results are not held for its submit answer, as they are for plain funcX clients
   * @returns nothing
   */
  attach(socket: WebSocket, userId: string, early = false): void {
    // A socket error is followed by close; without a listener it would be thrown.
    socket.on('error', () => {});
    const listener: Listener = { socket, userId, early, groups: new Map(), pending: [], alive: true, sent: new SentOnce() };
    this.#listeners.add(listener);
    this.#delivery.countSocket(userId, 1);
    socket.on('message', (data, isBinary) => {
      listener.alive = true;
      if (!isBinary) this.#receive(listener, String(data));
    });
    socket.on('pong', () => (listener.alive = true));
    socket.on('close', () => {
      this.#listeners.delete(listener);
      this.#delivery.countSocket(userId, -1);
      // The hub owns #byGroup: a closed socket's entries, and sets left empty, go with it.
      for (const group of listener.groups.keys()) {
        const followed = this.#byGroup.get(group);
        followed?.listeners.delete(listener);
        if (followed?.listeners.size === 0) {
          followed.subscription.unsubscribe();
          this.#byGroup.delete(group);
        }
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
   * Queues a frame; the frames of one tick are written together: one WebSocket frame per task, as
   * funcX sends, in one system call for many of them. (Packing a tick's frames into JSON arrays
   * was measured slower end to end, 0.79× in the bench of 2026-12-07, and went.)
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

  /** A client frame: a subscribe (a group id, or its JSON form) or an ack of partials read (§11). */
  #receive(listener: Listener, text: string): void {
    const trimmed = text.trim();
    if (trimmed.startsWith('{') && /"type"\s*:\s*"ack"/.test(trimmed)) {
      const acks = parseAck(trimmed);
      // Malformed acks are dropped, as malformed subscribes are: only funcx-rx clients send them.
      if (acks === null) return;
      void this.#partials.ack(listener.userId, acks).catch(logFailure(this.#limits.logger, 'acknowledging partials failed; the reader acknowledges again as it reads on, or the generator stays paused until then', { acks: acks.length }));
      return;
    }
    this.#subscribe(listener, trimmed);
  }

  #subscribe(listener: Listener, text: string): void {
    const request = parseSubscribe(text);
    // Malformed frames are ignored, as a funcX client would never send them.
    if (request === null) return;
    const groupId = request.task_group_id.toLowerCase();
    if (!listener.groups.has(groupId) && listener.groups.size >= this.#limits.maxSubscriptionsPerSocket) {
      listener.socket.close(POLICY_VIOLATION, `more than ${this.#limits.maxSubscriptionsPerSocket} task groups on one socket`);
      return;
    }
    const wants: Wants = { statuses: request.statuses === true, partials: request.partials === true };
    listener.groups.set(groupId, wants);
    let followed = this.#byGroup.get(groupId);
    if (followed === undefined) {
      const listeners = new Set<Listener>();
      const subscription = this.#delivery.events(groupId).subscribe({
        next: (event) => this.#onEvent(listeners, event),
        // The bus drops bad messages itself; an error here is a bug, told rather than thrown.
        error: (error: unknown) => this.#limits.logger.error({ err: error, groupId }, 'a task group\'s events failed; its sockets get results by draining on resubscribe'),
      });
      this.#byGroup.set(groupId, (followed = { listeners, subscription }));
    }
    followed.listeners.add(listener);
    void this.#drain(listener, groupId, wants).catch(logFailure(this.#limits.logger, 'draining a group\'s undelivered results failed; the client finds them by polling', { groupId }));
  }

  /**
   * Once this process hears the group's new events: the current status of every unfinished task
   * (for a subscriber that asked for statuses, which would otherwise wait for the next change),
   * then what ended while nobody listened.
   */
  async #drain(listener: Listener, groupId: string, wants: Wants): Promise<void> {
    const { live, ended, owned } = await this.#delivery.follow(groupId, listener.userId, wants.statuses);
    for (const task of live) this.#send(listener, JSON.stringify({ type: 'status', task_id: task.id, status: task.status } satisfies StatusFrame));
    // Unread partials first, in order (a reconnect's or a late subscriber's), before any result.
    if (wants.partials && owned) {
      for (const held of await this.#partials.unread(groupId, DRAIN_PARTIALS)) {
        held.values.forEach((value, i) => this.#send(listener, JSON.stringify({ type: 'partial', task_id: held.taskId, seq: held.first + i, value } satisfies PartialFrame)));
      }
    }
    for (const task of ended) if (listener.sent.add(task.id)) this.#send(listener, JSON.stringify(toFrame(task)));
  }

  #onEvent(listeners: ReadonlySet<Listener>, event: GroupEvent, gated = false): void {
    const kind = 'type' in event.frame ? event.frame.type : 'result';
    const isStatus = kind !== 'result';
    // Plain funcX sockets get a result once its group's submit answer has had time to be read (AnswerGate).
    const hold = !isStatus && !gated && this.#gate.isHeld(event.groupId);
    let text: string | null = null;
    let sent = false;
    for (const listener of listeners) {
      if (listener.userId !== event.ownerId || listener.socket.readyState !== listener.socket.OPEN) continue;
      if (isStatus && !listener.groups.get(event.groupId)?.[kind === 'status' ? 'statuses' : 'partials']) continue;
      if (hold && !listener.early) continue;
      if (!isStatus && !listener.sent.add(event.taskId)) continue;
      text ??= JSON.stringify(event.frame);
      this.#send(listener, text);
      sent = true;
    }
    // Delivered: it no longer waits for a later subscriber (the client's sweep covers a socket that dies now).
    if (sent && !isStatus) this.#delivered(event.ownerId, event.groupId, event.taskId);
    // Once: later results of the group do not wait for later submits, so a steady stream of submits never starves them.
    if (hold) void this.#gate.opened(event.groupId).then(() => this.#onEvent(listeners, event, true));
  }

  /** Marks a result delivered; those of one tick go to the store in one call per group. */
  #delivered(ownerId: string, groupId: string, taskId: string): void {
    const key = `${ownerId} ${groupId}`;
    const held = this.#deliveredByGroup.get(key);
    if (held !== undefined) return void held.taskIds.push(taskId);
    this.#deliveredByGroup.set(key, { ownerId, groupId, taskIds: [taskId] });
    if (this.#deliveredByGroup.size > 1) return;
    setImmediate(() => {
      const byGroup = [...this.#deliveredByGroup.values()];
      this.#deliveredByGroup.clear();
      // A result left marked undelivered is sent again on a later drain: the client drops duplicates.
      for (const { ownerId, groupId, taskIds } of byGroup) void this.#delivery.delivered(ownerId, groupId, taskIds).catch(logFailure(this.#limits.logger, 'unmarking delivered results failed', { groupId, tasks: taskIds.length }));
    });
  }
}

function parseSubscribe(text: string): SubscribeFrame | null {
  if (UUID.test(text)) return { task_group_id: text };
  if (!text.startsWith('{')) return null;
  try {
    const parsed = JSON.parse(text) as Partial<SubscribeFrame>;
    return typeof parsed.task_group_id === 'string' && UUID.test(parsed.task_group_id) ? { task_group_id: parsed.task_group_id, statuses: parsed.statuses === true, partials: parsed.partials === true } : null;
  } catch {
    return null;
  }
}

/** An ack frame's pairs, or null when it is not one (at most MAX_ACKS_PER_FRAME pairs of a task id and a whole seq). */
function parseAck(text: string): [string, number][] | null {
  try {
    const parsed = JSON.parse(text) as Partial<AckFrame>;
    const acks = parsed.acks;
    if (!Array.isArray(acks) || acks.length > MAX_ACKS_PER_FRAME) return null;
    const out: [string, number][] = [];
    for (const pair of acks) {
      if (!Array.isArray(pair) || typeof pair[0] !== 'string' || !UUID.test(pair[0]) || !Number.isSafeInteger(pair[1]) || (pair[1] as number) < 0) return null;
      out.push([pair[0].toLowerCase(), pair[1] as number]);
    }
    return out;
  } catch {
    return null; // not JSON: dropped by the caller, as a malformed subscribe is
  }
}

/**
 * A finished task as its result frame.
 *
 * @param task - an ended task
 * @returns the frame
 */
export function toFrame(task: TaskEntry): ResultFrame {
  return resultFrame(task.id, { status: task.status as ResultFrame['status'], result: task.result, exception: task.exception, completedAt: task.completedAt ?? Date.now(), partials: task.partials });
}
