import { v4 as uuidv4 } from 'uuid';
import type { Subscription } from 'rxjs';
import type { WebSocket } from 'ws';
import { ResultTooLarge } from '../../endpoint/ResultTooLarge.js';
import { FRAME_LIMIT_BYTES, FRAME_MAX_BYTES, type EndpointEngineReport, type EndpointFunctionMessage, type EndpointLanguages, type EndpointResultMessage, type EndpointTaskMessage, type EndpointToService, type ServiceToEndpoint } from '../../protocol/endpointChannel.js';
import { serializeError } from '../../serialize/serialize.js';
import type { Backend } from '../core/Backend.js';
import type { TaskEntry, TaskMove } from '../core/records.js';
import type { EndpointQueue, TakenTask } from '../core/TaskBus.js';
import type { TaskBroker } from '../TaskBroker.js';

/** What an endpoint that never says how many tasks it wants at once is sent at most. */
const DEFAULT_PREFETCH = 1000;
/** How long a connection that sends no hello waits for its first work. */
const HELLO_GRACE_MS = 250;
/**
 * How many times a task may be running on a connection that the endpoint then overflowed (a
 * frame over `maxFrameBytes`) before it fails instead of being sent again: a result that cannot
 * fit would otherwise cycle through reconnects forever.
 */
const OVERFLOW_STRIKES = 2;

/** Options of {@link EndpointHub}. */
export interface EndpointHubOptions {
  /** Connections are pinged this often; one silent for a whole interval is dropped. */
  readonly pingIntervalMs: number;
  /** The largest serialized result the service takes; a larger one fails its task with `ResultTooLarge`. @default 10 MiB */
  readonly maxResultBytes?: number;
  /** The largest frame the endpoint socket accepts (the `ws` server's `maxPayload`). @default 64 MiB */
  readonly maxFrameBytes?: number;
}

/** One endpoint connection: a consumer of its endpoint's queue, holding at most `prefetch` tasks. */
interface Connection {
  readonly socket: WebSocket;
  readonly endpointId: string;
  readonly consumerId: string;
  readonly queue: EndpointQueue;
  /** Task id → queue reference, for the tasks sent and not ended. */
  readonly inflight: Map<string, string>;
  /** Tasks it said are running, and not ended. */
  readonly running: Set<string>;
  /** Functions of the tasks sent to it: the ones it may ask for. */
  readonly offered: Set<string>;
  /** It sent a frame over the limit (ws closes it with 1009). */
  overflowed: boolean;
  prefetch: number;
  /** Whether it may be sent work yet: after its hello (with its credit), or a moment without one. */
  ready: boolean;
  alive: boolean;
  /** What the endpoint said it runs, in its hello. */
  languages: EndpointLanguages | null;
  /** What the endpoint last said of its engine (blocks, managers, workers). */
  engine: EndpointEngineReport | null;
  pumping: boolean;
  again: boolean;
  /** Statuses and results received in this tick, recorded together at its end; null when none. */
  intake: Intake | null;
  readonly subscriptions: Subscription[];
}

/** What one tick's frames from an endpoint reported. */
interface Intake {
  readonly statuses: TaskMove[];
  readonly results: EndpointResultMessage[];
  /** Queue references of the tasks that ended. */
  readonly acks: string[];
}

/**
 * The endpoint side of one replica: the endpoint connections it holds, each a consumer of its
 * endpoint's queue on the bus. Several connections (processes, machines) may serve one endpoint
 * id; each takes only as many tasks as it said it has room for, so work goes where workers are
 * free. A closed connection gives its unfinished tasks back; those of a replica that died are
 * reclaimed once its heartbeat expires.
 *
 * @example
 * ```ts
 * const hub = new EndpointHub(backend, broker, { pingIntervalMs: 10_000 });
 * hub.attach(socket, endpointId, ownerId);
 * ```
 */
export class EndpointHub {
  readonly #backend: Backend;
  readonly #broker: TaskBroker;
  readonly #pingIntervalMs: number;
  readonly #maxResultBytes: number;
  readonly #maxFrameBytes: number;
  /** Tasks that were running on overflowed connections, and how many times; deleted when they end. */
  readonly #strikes = new Map<string, number>();
  readonly #replicaId = uuidv4();
  readonly #connections = new Set<Connection>();
  #timer: NodeJS.Timeout | null = null;

  /**
   * @param backend - the bus, presence and repositories
   * @param broker - the task logic
   * @param options - ping interval, result and frame limits
   */
  constructor(backend: Backend, broker: TaskBroker, options: EndpointHubOptions) {
    this.#backend = backend;
    this.#broker = broker;
    this.#pingIntervalMs = options.pingIntervalMs;
    this.#maxResultBytes = options.maxResultBytes ?? 10 * 1024 * 1024;
    this.#maxFrameBytes = options.maxFrameBytes ?? 64 * 1024 * 1024;
  }

  /**
   * Which languages an endpoint said it runs, in the hello of a connection it has to this replica.
   *
   * @param endpointId - the endpoint
   * @returns its languages, or null when it has no such connection here or never said
   */
  languages(endpointId: string): EndpointLanguages | null {
    for (const connection of this.#connections) if (connection.endpointId === endpointId && connection.languages) return connection.languages;
    return null;
  }

  /**
   * What an endpoint last said of its engine, on a connection it has to this replica.
   *
   * @param endpointId - the endpoint
   * @returns its report, or null when it has no such connection here or never said
   */
  engine(endpointId: string): EndpointEngineReport | null {
    for (const connection of this.#connections) if (connection.endpointId === endpointId && connection.engine) return connection.engine;
    return null;
  }

  /** The open endpoint connections of this replica. */
  get sockets(): WebSocket[] {
    return [...this.#connections].map((c) => c.socket);
  }

  /**
   * Takes an authenticated endpoint connection and starts feeding it work.
   *
   * @param socket - the connection
   * @param endpointId - the endpoint
   * @param ownerId - the endpoint's owner, whose counters it shows in
   * @returns nothing
   */
  attach(socket: WebSocket, endpointId: string, ownerId: string): void {
    // An oversized frame from the endpoint: ws reports it here, then closes with 1009.
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') connection.overflowed = true;
    });
    const consumerId = `${this.#replicaId}/${uuidv4()}`;
    const connection: Connection = {
      socket,
      endpointId,
      consumerId,
      queue: this.#backend.bus.queue(endpointId, consumerId),
      inflight: new Map(),
      running: new Set(),
      offered: new Set(),
      overflowed: false,
      prefetch: DEFAULT_PREFETCH,
      ready: false,
      alive: true,
      languages: null,
      engine: null,
      pumping: false,
      again: false,
      intake: null,
      subscriptions: [],
    };
    this.#connections.add(connection);
    this.#backend.counters.add(ownerId, 'endpointConnectionsOpen', 1);
    // Best effort: a backend that cannot be reached now must not crash the process.
    void this.#backend.endpoints.touch(endpointId, Date.now()).catch(() => {});
    void this.#heartbeat(connection);
    this.#startTimer();
    connection.subscriptions.push(
      connection.queue.wake$.subscribe(() => this.#pump(connection)),
      this.#backend.bus.controlEvents(endpointId).subscribe((event) => {
        const ref = connection.inflight.get(event.taskId);
        if (ref === undefined) return;
        connection.inflight.delete(event.taskId);
        connection.running.delete(event.taskId);
        this.#strikes.delete(event.taskId);
        void connection.queue.ack([ref]).catch(() => {});
        this.#send(connection, [{ type: 'cancel', task_id: event.taskId }]);
        this.#pump(connection);
      }),
    );
    socket.on('message', (data, isBinary) => {
      connection.alive = true;
      if (!isBinary) void this.#receive(connection, String(data)).catch(() => {});
    });
    socket.on('pong', () => (connection.alive = true));
    socket.on('close', () => {
      this.#connections.delete(connection);
      for (const s of connection.subscriptions) s.unsubscribe();
      this.#backend.counters.add(ownerId, 'endpointConnectionsOpen', -1);
      void this.#backend.endpoints.touch(endpointId, Date.now()).catch(() => {});
      void this.#backend.presence.leave(endpointId, consumerId).catch(() => {});
      if (connection.overflowed) this.#strike(connection);
      // What it had not finished goes back on the queue, for this endpoint's next connection.
      void connection.queue.release().then((ids) => this.#broker.requeue(ids)).catch(() => {});
      if (this.#connections.size === 0) this.close();
    });
    // An endpoint that says no hello (an older one) is fed with the default credit after a moment.
    setTimeout(() => {
      connection.ready = true;
      this.#pump(connection);
    }, HELLO_GRACE_MS).unref();
  }

  /**
   * Drops every endpoint connection of this replica abruptly, for tests and chaos runs.
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
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Takes work while the connection has room; one pump at a time per connection. */
  #pump(connection: Connection): void {
    if (!connection.ready) return;
    if (connection.pumping) {
      connection.again = true;
      return;
    }
    connection.pumping = true;
    void (async () => {
      try {
        do {
          connection.again = false;
          while (connection.socket.readyState === connection.socket.OPEN && connection.inflight.size < connection.prefetch) {
            const { taken, claimed } = await this.#broker.takeForDispatch(connection.queue, connection.prefetch - connection.inflight.size);
            if (taken.length === 0) break;
            await this.#dispatch(connection, taken, claimed);
          }
        } while (connection.again);
      } catch {
        // A failed take (the backend unreachable) is retried by the next wake or heartbeat.
      } finally {
        connection.pumping = false;
      }
    })();
  }

  /** Sends the claimed tasks; the others taken (queued twice, ended meanwhile) are acknowledged. */
  async #dispatch(connection: Connection, taken: readonly TakenTask[], claimed: readonly TaskEntry[]): Promise<void> {
    const refs = new Map(taken.map((t) => [t.taskId, t.ref]));
    const sent = new Set<string>();
    // A function already offered on this connection exists (a function with live tasks is never
    // deleted); only the others are looked up, once each.
    const lookups = new Map<string, Promise<boolean>>();
    for (const task of claimed) {
      if (!connection.offered.has(task.functionId) && !lookups.has(task.functionId)) {
        lookups.set(task.functionId, this.#backend.functions.get(task.functionId).then((fn) => fn !== undefined));
      }
    }
    const found = await Promise.all(lookups.values());
    const known = new Map([...lookups.keys()].map((id, i) => [id, found[i]!]));
    const messages: EndpointTaskMessage[] = [];
    for (const task of claimed) {
      if (task.payload === null || known.get(task.functionId) === false) continue;
      // The code itself travels only when the endpoint asks for it (get_function).
      messages.push({ type: 'task', task_id: task.id, function_id: task.functionId, payload: task.payload });
      connection.offered.add(task.functionId);
      connection.inflight.set(task.id, refs.get(task.id)!);
      sent.add(task.id);
    }
    this.#send(connection, messages);
    // Taken but not sent (queued twice, ended meanwhile): acknowledged so it is not taken again.
    const skipped = taken.filter((t) => !sent.has(t.taskId)).map((t) => t.ref);
    if (skipped.length > 0) await connection.queue.ack(skipped);
  }

  /**
   * Fails the tasks that were running on an overflowed connection for the second time, with
   * `ResultTooLarge`; the others go back on the queue as usual.
   */
  #strike(connection: Connection): void {
    for (const id of connection.running) {
      const strikes = (this.#strikes.get(id) ?? 0) + 1;
      if (strikes < OVERFLOW_STRIKES) {
        this.#strikes.set(id, strikes);
        continue;
      }
      this.#strikes.delete(id);
      const error = new ResultTooLarge(undefined, this.#maxFrameBytes, `the endpoint's connection was closed ${strikes} times for a frame over the channel's limit while this task was running`);
      void this.#broker.finish(connection.endpointId, { type: 'result', task_id: id, exception: serializeError(error) }).catch(() => {});
    }
  }

  /** Answers an endpoint's request for a function's code: only functions of tasks sent to it. */
  async #sendFunction(connection: Connection, functionId: string): Promise<void> {
    const code = connection.offered.has(functionId) ? (await this.#backend.functions.get(functionId))?.code : undefined;
    let message: EndpointFunctionMessage =
      code === undefined
        ? { type: 'function', function_id: functionId, error: `Function ${functionId} is unknown, or no task sent to this endpoint uses it` }
        : { type: 'function', function_id: functionId, function_code: code };
    if (code !== undefined && Buffer.byteLength(code) > FRAME_MAX_BYTES - 1024) {
      message = { type: 'function', function_id: functionId, error: `Function ${functionId} is over the endpoint channel's frame limit of ${FRAME_MAX_BYTES} bytes` };
    }
    this.#send(connection, [message]);
  }

  /** An endpoint that does not keep the service's result limit gets its result refused here. */
  #withinLimit(message: EndpointResultMessage): EndpointResultMessage {
    // The field the broker keeps: the exception when it is a string, else the result (any type).
    const text: unknown = typeof message.exception === 'string' ? message.exception : message.result;
    if (typeof text !== 'string' || text.length <= this.#maxResultBytes) return message;
    const bytes = Buffer.byteLength(text);
    if (bytes <= this.#maxResultBytes) return message;
    return { type: 'result', task_id: message.task_id, exception: serializeError(new ResultTooLarge(bytes, this.#maxResultBytes)) };
  }

  /** Sends messages in frames of at most FRAME_LIMIT_BYTES (a larger message goes alone). */
  #send(connection: Connection, messages: readonly ServiceToEndpoint[]): void {
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    let batch: string[] = [];
    let size = 2;
    const flush = (): void => {
      if (batch.length > 0) connection.socket.send(`[${batch.join(',')}]`);
      batch = [];
      size = 2;
    };
    for (const message of messages) {
      const text = JSON.stringify(message);
      const bytes = Buffer.byteLength(text);
      if (batch.length > 0 && size + bytes + 1 > FRAME_LIMIT_BYTES) flush();
      batch.push(text);
      size += bytes + 1;
    }
    flush();
  }

  async #receive(connection: Connection, text: string): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return; // a malformed frame is dropped; the connection goes on
    }
    const messages = (Array.isArray(parsed) ? parsed : [parsed]) as EndpointToService[];
    const work: Promise<unknown>[] = [];
    for (const message of messages) {
      if (typeof message !== 'object' || message === null) continue;
      if (message.type === 'hello') {
        // The endpoint says how many tasks it wants at once (its workers plus a small queue).
        if (typeof message.prefetch === 'number' && Number.isInteger(message.prefetch) && message.prefetch > 0) connection.prefetch = Math.min(message.prefetch, 100_000);
        connection.languages = readLanguages(message.languages);
        connection.ready = true;
        this.#pump(connection);
        continue;
      }
      if (message.type === 'engine') {
        connection.engine = readEngine(message.engine);
        continue;
      }
      if (message.type === 'get_function') {
        if (typeof message.function_id === 'string') work.push(this.#sendFunction(connection, message.function_id));
        continue;
      }
      if (typeof message.task_id !== 'string') continue;
      if (message.type === 'status' && (message.status === 'waiting-for-launch' || message.status === 'running')) {
        if (message.status === 'running' && connection.inflight.has(message.task_id)) connection.running.add(message.task_id);
        this.#intake(connection).statuses.push({ id: message.task_id, to: message.status });
      } else if (message.type === 'result' && (typeof message.result === 'string' || typeof message.exception === 'string')) {
        connection.running.delete(message.task_id);
        this.#strikes.delete(message.task_id);
        const intake = this.#intake(connection);
        intake.results.push(this.#withinLimit(message));
        const ref = connection.inflight.get(message.task_id);
        if (ref !== undefined) intake.acks.push(ref);
        connection.inflight.delete(message.task_id);
      }
    }
    await Promise.all(work);
  }

  /**
   * This tick's intake of a connection. Frames that arrive together (an endpoint sends one per
   * tick, and several often come in one read) are recorded together once the tick's frames are
   * read: one broker call for their statuses and one for their results.
   */
  #intake(connection: Connection): Intake {
    if (connection.intake === null) {
      connection.intake = { statuses: [], results: [], acks: [] };
      queueMicrotask(() => void this.#record(connection).catch(() => {}));
    }
    return connection.intake;
  }

  async #record(connection: Connection): Promise<void> {
    const { statuses, results, acks } = connection.intake!;
    connection.intake = null;
    // One broker call: a script for the statuses and one for the results, in Redis.
    const recorded = this.#broker.report(connection.endpointId, statuses, results);
    // The endpoint has room again: more work goes out while these results are being recorded.
    if (acks.length > 0) this.#pump(connection);
    await recorded;
    // Acknowledged once ended: a task is never out of the queue before its end is stored.
    if (acks.length > 0) await connection.queue.ack(acks);
  }

  async #heartbeat(connection: Connection): Promise<void> {
    await this.#backend.presence.heartbeat(connection.endpointId, connection.consumerId, 3 * this.#pingIntervalMs).catch(() => {});
  }

  #startTimer(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#tick(), this.#pingIntervalMs);
    this.#timer.unref();
  }

  /** Pings, heartbeats, and reclaims the tasks of consumers (here or on dead replicas) no longer alive. */
  async #tick(): Promise<void> {
    const endpoints = new Set<string>();
    for (const connection of this.#connections) {
      endpoints.add(connection.endpointId);
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
      await this.#heartbeat(connection);
      this.#pump(connection);
    }
    for (const endpointId of endpoints) {
      try {
        const alive = await this.#backend.presence.consumers(endpointId);
        const reclaimed = await this.#backend.bus.reclaim(endpointId, (consumerId) => alive.has(consumerId));
        if (reclaimed.length > 0) await this.#broker.requeue(reclaimed);
      } catch {
        // The backend is unreachable: the next tick tries again.
      }
    }
  }
}

const text = (value: unknown): string => String(value).slice(0, 300);
const count = (value: unknown): number => (Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : 0);

/** Keeps only the known fields of an endpoint's engine report, as counts and short strings. */
function readEngine(value: unknown): EndpointEngineReport | null {
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  const blocks = (typeof r.blocks === 'object' && r.blocks !== null ? r.blocks : {}) as Record<string, unknown>;
  const workers = (typeof r.workers === 'object' && r.workers !== null ? r.workers : {}) as Record<string, unknown>;
  return {
    engine: r.engine === 'cluster' ? 'cluster' : 'local',
    provider: r.provider == null ? null : text(r.provider),
    blocks: { pending: count(blocks.pending), running: count(blocks.running), draining: count(blocks.draining), failed: count(blocks.failed) },
    managers: count(r.managers),
    workers: { total: count(workers.total), free: count(workers.free) },
    state: r.state === 'failed' ? 'failed' : 'ok',
    last_failure: r.last_failure == null ? null : text(r.last_failure),
  };
}

/** Keeps only the known fields of an endpoint's languages, as short strings: the endpoint is not trusted. */
function readLanguages(value: unknown): EndpointLanguages | null {
  if (typeof value !== 'object' || value === null) return null;
  const { javascript, python } = value as Record<string, Record<string, unknown> | undefined>;
  if (typeof javascript !== 'object' || javascript === null || typeof python !== 'object' || python === null) return null;
  return {
    javascript: { version: text(javascript.version), workers: Number(javascript.workers) || 0 },
    python:
      python.available === true
        ? { available: true, version: text(python.version), executable: text(python.executable), dill: python.dill == null ? null : text(python.dill), workers: Number(python.workers) || 0 }
        : { available: false, reason: text(python.reason) },
  };
}
