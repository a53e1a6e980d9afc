import type { WebSocket } from 'ws';
import type { EndpointTaskMessage, EndpointToService, ServiceToEndpoint } from '../../protocol/endpointChannel.js';
import type { ServiceStats } from '../ServiceStats.js';
import type { TaskBroker } from '../TaskBroker.js';
import type { TaskEntry } from '../store/records.js';
import type { Stores } from '../store/Stores.js';

/** How many messages one frame to an endpoint carries at most. */
const FRAME_BATCH = 1000;

/** One endpoint's queue and its current connection. */
interface EndpointLine {
  socket: WebSocket | null;
  alive: boolean;
  /** Tasks waiting to be sent, in submit order. */
  readonly waiting: Set<string>;
  /** Tasks sent to the current connection and not ended. */
  readonly inflight: Set<string>;
  flushScheduled: boolean;
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
  #broker: TaskBroker | null = null;
  #pingTimer: NodeJS.Timeout | null = null;

  /**
   * @param stores - where tasks and functions are
   * @param stats - the live counters
   * @param pingIntervalMs - how often connections are pinged; one silent for a whole interval is dropped
   */
  constructor(stores: Stores, stats: ServiceStats, pingIntervalMs: number) {
    this.#stores = stores;
    this.#stats = stats;
    this.#pingIntervalMs = pingIntervalMs;
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
    socket.on('error', () => {});
    const line = this.#line(endpointId);
    if (line.socket !== null) {
      const old = line.socket;
      this.#release(line);
      old.terminate();
    }
    line.socket = socket;
    line.alive = true;
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
      if (line.socket === socket) this.#release(line);
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
      line = { socket: null, alive: false, waiting: new Set(), inflight: new Set(), flushScheduled: false };
      this.#lines.set(endpointId, line);
    }
    return line;
  }

  /** The connection is gone: what it had not finished waits for the next one. */
  #release(line: EndpointLine): void {
    line.socket = null;
    const unfinished = [...line.inflight];
    line.inflight.clear();
    const requeued = new Set<string>();
    for (const id of unfinished) if (this.#broker?.requeue(id)) requeued.add(id);
    // Requeued tasks go first: they were submitted before anything still waiting.
    const waiting = [...requeued, ...line.waiting];
    line.waiting.clear();
    for (const id of waiting) line.waiting.add(id);
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

  #flush(line: EndpointLine): void {
    const socket = line.socket;
    if (socket === null) return;
    let batch: EndpointTaskMessage[] = [];
    for (const id of line.waiting) {
      line.waiting.delete(id);
      const task = this.#stores.tasks.get(id);
      // A live task always has its payload; an ended one (payload dropped) is not sent.
      if (task === undefined || task.status !== 'waiting-for-ep' || task.payload === null) continue;
      const fn = this.#stores.functions.get(task.functionId);
      if (fn === undefined) continue;
      batch.push({ type: 'task', task_id: id, function_id: fn.id, function_code: fn.code, payload: task.payload });
      line.inflight.add(id);
      this.#broker?.setStatus(task.endpointId, id, 'waiting-for-nodes');
      if (batch.length === FRAME_BATCH) {
        this.#send(socket, batch);
        batch = [];
      }
    }
    if (batch.length > 0) this.#send(socket, batch);
  }

  #send(socket: WebSocket, messages: readonly ServiceToEndpoint[]): void {
    socket.send(JSON.stringify(messages));
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
      if (typeof message !== 'object' || message === null || typeof message.task_id !== 'string') continue;
      if (message.type === 'status' && (message.status === 'waiting-for-launch' || message.status === 'running')) {
        this.#broker?.setStatus(endpointId, message.task_id, message.status);
      } else if (message.type === 'result' && (typeof message.result === 'string' || typeof message.exception === 'string')) {
        line.inflight.delete(message.task_id);
        this.#broker?.finish(endpointId, message);
      }
    }
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
