import type { WebSocket } from 'ws';
import { ResultTooLarge } from '../../endpoint/ResultTooLarge.js';
import { FRAME_LIMIT_BYTES, FRAME_MAX_BYTES, type EndpointFunctionMessage, type EndpointResultMessage, type EndpointTaskMessage, type EndpointToService, type ServiceToEndpoint } from '../../protocol/endpointChannel.js';
import { packFrames } from '../../protocol/packFrames.js';
import { serializeError } from '../../serialize/serialize.js';
import type { ServiceStats } from '../ServiceStats.js';
import type { TaskBroker } from '../TaskBroker.js';
import type { TaskEntry } from '../store/records.js';
import type { Stores } from '../store/Stores.js';

/** Unsent bytes a connection may hold before the hub waits for them to be written. */
const SOCKET_BUFFER_BYTES = 8 * 1024 * 1024;

/** The limits the hub enforces on what endpoints send. */
export interface EndpointHubLimits {
  /** The largest serialized result the service takes; a larger one fails its task with `ResultTooLarge`. */
  readonly maxResultBytes: number;
  /** The largest frame the endpoint socket accepts (the `ws` server's `maxPayload`). */
  readonly maxFrameBytes: number;
}

/**
 * How many times a task may be running on a connection that the endpoint then overflowed (a
 * frame over `maxFrameBytes`) before the task fails instead of being sent again: a result
 * that cannot fit would otherwise cycle through reconnects forever.
 */
const OVERFLOW_STRIKES = 2;

/** One endpoint's queue and its current connection. */
interface EndpointLine {
  socket: WebSocket | null;
  alive: boolean;
  /** Tasks waiting to be sent, in submit order. */
  readonly waiting: Set<string>;
  /** Tasks sent to the current connection and not ended. */
  readonly inflight: Set<string>;
  /** Functions of the tasks sent to the current connection: the ones it may ask for. */
  readonly offered: Set<string>;
  flushScheduled: boolean;
  /** A frame is waiting in the socket's buffer; its send callback resumes the flush. */
  paused: boolean;
  /** The current connection sent a frame over the limit (ws closes it with 1009). */
  overflowed: boolean;
}

/**
 * The endpoint side of the service (docs/protocol-extensions.md §6): one connection per endpoint
 * id, waiting tasks sent in batched frames, statuses and results taken back, unfinished tasks
 * requeued when a connection drops, and dead connections found by ping.
 *
 * @example
 * ```ts
 * hub.attach(socket, endpointId);
 * hub.enqueue(task);
 * ```
 */
export class EndpointHub {
  readonly #lines = new Map<string, EndpointLine>();
  readonly #stores: Stores;
  readonly #stats: ServiceStats;
  readonly #pingIntervalMs: number;
  readonly #limits: EndpointHubLimits;
  /** Tasks that were running on overflowed connections, and how many times; deleted when they end. */
  readonly #strikes = new Map<string, number>();
  #broker: TaskBroker | null = null;
  #pingTimer: NodeJS.Timeout | null = null;

  /**
   * @param stores - where tasks and functions are
   * @param stats - the live counters
   * @param pingIntervalMs - how often connections are pinged; one silent for a whole interval is dropped
   * @param limits - result and frame limits (default: 10 MiB results, 64 MiB frames)
   */
  constructor(stores: Stores, stats: ServiceStats, pingIntervalMs: number, limits: EndpointHubLimits = { maxResultBytes: 10 * 1024 * 1024, maxFrameBytes: 64 * 1024 * 1024 }) {
    this.#stores = stores;
    this.#stats = stats;
    this.#pingIntervalMs = pingIntervalMs;
    this.#limits = limits;
  }

  /**
   * Connects the hub to the broker it reports to (they refer to each other).
   *
   * @param broker - the task logic
   * @returns nothing
   */
  bind(broker: TaskBroker): void {
    this.#broker = broker;
  }

  /**
   * Whether an endpoint has an open connection.
   *
   * @param endpointId - the endpoint
   * @returns true while connected
   */
  isOnline(endpointId: string): boolean {
    return this.#lines.get(endpointId)?.socket != null;
  }

  /** The open endpoint connections. */
  get sockets(): WebSocket[] {
    return [...this.#lines.values()].flatMap((line) => (line.socket ? [line.socket] : []));
  }

  /**
   * Takes an authenticated endpoint connection; a previous connection for the same id is
   * dropped and its unfinished tasks go to the new one.
   *
   * @param socket - the connection
   * @param endpointId - the endpoint
   * @param ownerId - the endpoint's owner, whose counters it shows in
   * @returns nothing
   */
  attach(socket: WebSocket, endpointId: string, ownerId: string): void {
    const line = this.#line(endpointId);
    // An oversized frame from the endpoint: ws reports it here, then closes with 1009.
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' && line.socket === socket) line.overflowed = true;
    });
    if (line.socket !== null) {
      const old = line.socket;
      this.#release(endpointId, line);
      old.terminate();
    }
    line.socket = socket;
    line.alive = true;
    line.paused = false;
    line.overflowed = false;
    this.#stats.add(ownerId, 'endpointConnectionsOpen', 1);
    this.#broker?.endpointSeen(endpointId);
    this.#startPings();
    socket.on('message', (data, isBinary) => {
      line.alive = true;
      if (!isBinary) this.#receive(endpointId, line, String(data));
    });
    socket.on('pong', () => (line.alive = true));
    socket.on('close', () => {
      this.#stats.add(ownerId, 'endpointConnectionsOpen', -1);
      this.#broker?.endpointSeen(endpointId);
      if (line.socket === socket) this.#release(endpointId, line);
      this.#dropIfIdle(endpointId, line);
      this.#stopPingsIfIdle();
    });
    this.#scheduleFlush(line);
  }

  /**
   * Queues a task for its endpoint; it is sent at once if the endpoint is connected.
   *
   * @param task - a task waiting for its endpoint
   * @returns nothing
   */
  enqueue(task: TaskEntry): void {
    const line = this.#line(task.endpointId);
    line.waiting.add(task.id);
    this.#scheduleFlush(line);
  }

  /**
   * Withdraws a cancelled task: dropped from the queue, or the endpoint told to stop it.
   *
   * @param task - the cancelled task
   * @returns nothing
   */
  cancel(task: TaskEntry): void {
    const line = this.#lines.get(task.endpointId);
    if (line === undefined) return;
    line.waiting.delete(task.id);
    this.#strikes.delete(task.id);
    if (line.inflight.delete(task.id) && line.socket) this.#send(line.socket, [{ type: 'cancel', task_id: task.id }]);
    this.#dropIfIdle(task.endpointId, line);
  }

  /** The hub owns #lines: a line with no connection and no work is deleted. */
  #dropIfIdle(endpointId: string, line: EndpointLine): void {
    if (line.socket === null && line.waiting.size === 0 && line.inflight.size === 0) this.#lines.delete(endpointId);
  }

  /**
   * Drops every endpoint connection abruptly, for tests and chaos runs.
   *
   * @returns how many were dropped
   */
  drop(): number {
    const sockets = this.sockets;
    for (const socket of sockets) socket.terminate();
    return sockets.length;
  }

  /** Stops the ping timer; the sockets themselves are closed by the server. */
  close(): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = null;
  }

  #line(endpointId: string): EndpointLine {
    let line = this.#lines.get(endpointId);
    if (line === undefined) {
      line = { socket: null, alive: false, waiting: new Set(), inflight: new Set(), offered: new Set(), flushScheduled: false, paused: false, overflowed: false };
      this.#lines.set(endpointId, line);
    }
    return line;
  }

  /**
   * The connection is gone: what it had not finished waits for the next one, except a task that
   * was running each time the endpoint overflowed a frame, which fails (see OVERFLOW_STRIKES).
   */
  #release(endpointId: string, line: EndpointLine): void {
    line.socket = null;
    line.offered.clear();
    const unfinished = [...line.inflight];
    line.inflight.clear();
    if (line.overflowed) this.#strike(endpointId, unfinished);
    const requeued = new Set<string>();
    for (const id of unfinished) if (this.#broker?.requeue(id)) requeued.add(id);
    // Requeued tasks go first: they were submitted before anything still waiting.
    const waiting = [...requeued, ...line.waiting];
    line.waiting.clear();
    for (const id of waiting) line.waiting.add(id);
  }

  #strike(endpointId: string, taskIds: readonly string[]): void {
    // Struck tasks that ended some other way (cancelled, expired) are forgotten here.
    for (const id of this.#strikes.keys()) {
      const task = this.#stores.tasks.get(id);
      if (task === undefined || task.completedAt !== null) this.#strikes.delete(id);
    }
    for (const id of taskIds) {
      if (this.#stores.tasks.get(id)?.status !== 'running') continue;
      const strikes = (this.#strikes.get(id) ?? 0) + 1;
      if (strikes < OVERFLOW_STRIKES) {
        this.#strikes.set(id, strikes);
        continue;
      }
      this.#strikes.delete(id);
      const error = new ResultTooLarge(undefined, this.#limits.maxFrameBytes, `the endpoint's connection was closed ${strikes} times for a frame over the channel's limit while this task was running`);
      this.#broker?.finish(endpointId, { type: 'result', task_id: id, exception: serializeError(error) });
    }
  }

  #scheduleFlush(line: EndpointLine): void {
    if (line.flushScheduled || line.socket === null || line.waiting.size === 0) return;
    line.flushScheduled = true;
    // Submits in one tick go out together, in as few frames as possible.
    setImmediate(() => {
      line.flushScheduled = false;
      this.#flush(line);
    });
  }

  /**
   * Sends waiting tasks in frames of at most FRAME_LIMIT_BYTES (a task larger than that goes
   * alone). Once the socket holds SOCKET_BUFFER_BYTES unsent it stops, and goes on when its last
   * frame is written, so a large backlog stays in the store rather than in the socket's buffer.
   */
  #flush(line: EndpointLine): void {
    const socket = line.socket;
    if (socket === null || line.paused) return;
    let parts: string[] = [];
    let size = 2;
    const sendFrame = (last: boolean): boolean => {
      const frame = `[${parts.join(',')}]`;
      parts = [];
      size = 2;
      if (!last && socket.bufferedAmount + frame.length > SOCKET_BUFFER_BYTES) {
        line.paused = true;
        socket.send(frame, () => {
          if (line.socket !== socket) return;
          line.paused = false;
          this.#scheduleFlush(line);
        });
        return false;
      }
      socket.send(frame);
      return true;
    };
    for (const id of line.waiting) {
      const task = this.#stores.tasks.get(id);
      // A live task always has its payload; an ended one (payload dropped) is not sent.
      if (task === undefined || task.status !== 'waiting-for-ep' || task.payload === null) {
        line.waiting.delete(id);
        continue;
      }
      const message: EndpointTaskMessage = { type: 'task', task_id: id, function_id: task.functionId, payload: task.payload };
      const json = JSON.stringify(message);
      const bytes = Buffer.byteLength(json);
      // This task stays waiting when the frame before it fills the socket's buffer.
      if (parts.length > 0 && size + 1 + bytes > FRAME_LIMIT_BYTES && !sendFrame(false)) return;
      line.waiting.delete(id);
      line.inflight.add(id);
      line.offered.add(task.functionId);
      this.#broker?.setStatus(task.endpointId, id, 'waiting-for-nodes');
      size += (parts.length > 0 ? 1 : 0) + bytes;
      parts.push(json);
    }
    if (parts.length > 0) sendFrame(true);
  }

  #send(socket: WebSocket, messages: readonly ServiceToEndpoint[]): void {
    for (const frame of packFrames(messages, FRAME_LIMIT_BYTES)) socket.send(frame);
  }

  /** Answers an endpoint's request for a function's code: only functions of tasks sent to it. */
  #sendFunction(line: EndpointLine, functionId: string): void {
    const socket = line.socket;
    if (socket === null) return;
    const fn = line.offered.has(functionId) ? this.#stores.functions.get(functionId) : undefined;
    let message: EndpointFunctionMessage =
      fn === undefined
        ? { type: 'function', function_id: functionId, error: `Function ${functionId} is unknown, or no task sent to this endpoint uses it` }
        : { type: 'function', function_id: functionId, function_code: fn.code };
    if (fn !== undefined && Buffer.byteLength(fn.code) > FRAME_MAX_BYTES - 1024) {
      message = { type: 'function', function_id: functionId, error: `Function ${functionId} is ${fn.code.length} bytes, over the endpoint channel's frame limit of ${FRAME_MAX_BYTES} bytes` };
    }
    this.#send(socket, [message]);
  }

  #receive(endpointId: string, line: EndpointLine, text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return; // a malformed frame is dropped; the connection goes on
    }
    const messages = (Array.isArray(parsed) ? parsed : [parsed]) as EndpointToService[];
    for (const message of messages) {
      if (typeof message !== 'object' || message === null) continue;
      if (message.type === 'get_function') {
        if (typeof message.function_id === 'string') this.#sendFunction(line, message.function_id);
        continue;
      }
      if (typeof message.task_id !== 'string') continue;
      if (message.type === 'status' && (message.status === 'waiting-for-launch' || message.status === 'running')) {
        this.#broker?.setStatus(endpointId, message.task_id, message.status);
      } else if (message.type === 'result' && (typeof message.result === 'string' || typeof message.exception === 'string')) {
        line.inflight.delete(message.task_id);
        this.#strikes.delete(message.task_id);
        this.#broker?.finish(endpointId, this.#withinLimit(message));
      }
    }
  }

  /** An endpoint that does not keep the service's result limit gets its result refused here. */
  #withinLimit(message: EndpointResultMessage): EndpointResultMessage {
    // The field the broker keeps: the exception when it is a string, else the result (any type).
    const text: unknown = typeof message.exception === 'string' ? message.exception : message.result;
    if (typeof text !== 'string' || text.length <= this.#limits.maxResultBytes) return message;
    const bytes = Buffer.byteLength(text);
    if (bytes <= this.#limits.maxResultBytes) return message;
    return { type: 'result', task_id: message.task_id, exception: serializeError(new ResultTooLarge(bytes, this.#limits.maxResultBytes)) };
  }

  #startPings(): void {
    if (this.#pingTimer) return;
    this.#pingTimer = setInterval(() => {
      for (const line of this.#lines.values()) {
        const socket = line.socket;
        if (socket === null) continue;
        if (!line.alive) {
          socket.terminate();
          continue;
        }
        line.alive = false;
        socket.ping();
      }
    }, this.#pingIntervalMs);
    this.#pingTimer.unref();
  }

  #stopPingsIfIdle(): void {
    if (this.sockets.length === 0) this.close();
  }
}
