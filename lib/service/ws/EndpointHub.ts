import { v4 as uuidv4 } from 'uuid';
import type { Subscription } from 'rxjs';
import type { WebSocket } from 'ws';
import type { EndpointLanguages, EndpointTaskMessage, EndpointToService, ServiceToEndpoint } from '../../protocol/endpointChannel.js';
import type { Backend } from '../core/Backend.js';
import type { EndpointQueue } from '../core/TaskBus.js';
import type { TaskBroker } from '../TaskBroker.js';

/** What an endpoint that never says how many tasks it wants at once is sent at most. */
const DEFAULT_PREFETCH = 1000;
/** How long a connection that sends no hello waits for its first work. */
const HELLO_GRACE_MS = 250;
/** The largest frame sent to an endpoint; batches are split below it. */
const MAX_FRAME_CHARS = 8 * 1024 * 1024;

/** One endpoint connection: a consumer of its endpoint's queue, holding at most `prefetch` tasks. */
interface Connection {
  readonly socket: WebSocket;
  readonly endpointId: string;
  readonly consumerId: string;
  readonly queue: EndpointQueue;
  /** Task id → queue reference, for the tasks sent and not ended. */
  readonly inflight: Map<string, string>;
  prefetch: number;
  /** Whether it may be sent work yet: after its hello (with its credit), or a moment without one. */
  ready: boolean;
  alive: boolean;
  /** What the endpoint said it runs, in its hello. */
  languages: EndpointLanguages | null;
  pumping: boolean;
  again: boolean;
  readonly subscriptions: Subscription[];
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
  readonly #replicaId = uuidv4();
  readonly #connections = new Set<Connection>();
  #timer: NodeJS.Timeout | null = null;

  /**
   * @param backend - the bus, presence and repositories
   * @param broker - the task logic
   * @param options - `pingIntervalMs`: connections are pinged this often; one silent for a whole interval is dropped
   */
  constructor(backend: Backend, broker: TaskBroker, options: { pingIntervalMs: number }) {
    this.#backend = backend;
    this.#broker = broker;
    this.#pingIntervalMs = options.pingIntervalMs;
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
    socket.on('error', () => {});
    const consumerId = `${this.#replicaId}/${uuidv4()}`;
    const connection: Connection = {
      socket,
      endpointId,
      consumerId,
      queue: this.#backend.bus.queue(endpointId, consumerId),
      inflight: new Map(),
      prefetch: DEFAULT_PREFETCH,
      ready: false,
      alive: true,
      languages: null,
      pumping: false,
      again: false,
      subscriptions: [],
    };
    this.#connections.add(connection);
    this.#backend.counters.add(ownerId, 'endpointConnectionsOpen', 1);
    void this.#backend.endpoints.touch(endpointId, Date.now());
    void this.#heartbeat(connection);
    this.#startTimer();
    connection.subscriptions.push(
      connection.queue.wake$.subscribe(() => this.#pump(connection)),
      this.#backend.bus.controlEvents(endpointId).subscribe((event) => {
        const ref = connection.inflight.get(event.taskId);
        if (ref === undefined) return;
        connection.inflight.delete(event.taskId);
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
      void this.#backend.endpoints.touch(endpointId, Date.now());
      void this.#backend.presence.leave(endpointId, consumerId);
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
            const taken = await connection.queue.take(connection.prefetch - connection.inflight.size);
            if (taken.length === 0) break;
            await this.#dispatch(connection, taken);
          }
        } while (connection.again);
      } catch {
        // A failed take (the backend unreachable) is retried by the next wake or heartbeat.
      } finally {
        connection.pumping = false;
      }
    })();
  }

  async #dispatch(connection: Connection, taken: readonly { ref: string; taskId: string }[]): Promise<void> {
    const refs = new Map(taken.map((t) => [t.taskId, t.ref]));
    const claimed = await this.#broker.claimForDispatch(connection.endpointId, [...refs.keys()]);
    const sent = new Set<string>();
    const functions = new Map<string, string | undefined>();
    const messages: EndpointTaskMessage[] = [];
    for (const task of claimed) {
      if (task.payload === null) continue;
      if (!functions.has(task.functionId)) functions.set(task.functionId, (await this.#backend.functions.get(task.functionId))?.code);
      const code = functions.get(task.functionId);
      if (code === undefined) continue;
      messages.push({ type: 'task', task_id: task.id, function_id: task.functionId, function_code: code, payload: task.payload });
      connection.inflight.set(task.id, refs.get(task.id)!);
      sent.add(task.id);
    }
    // Taken but not sent (queued twice, ended meanwhile): acknowledged so it is not taken again.
    const skipped = taken.filter((t) => !sent.has(t.taskId)).map((t) => t.ref);
    if (skipped.length > 0) await connection.queue.ack(skipped);
    this.#send(connection, messages);
  }

  /** Sends messages in frames below the frame limit. */
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
      if (size + text.length + 1 > MAX_FRAME_CHARS) flush();
      batch.push(text);
      size += text.length + 1;
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
    const acks: string[] = [];
    const work: Promise<unknown>[] = [];
    for (const message of messages) {
      if (typeof message !== 'object' || message === null) continue;
      if (message.type === 'hello') {
        // The endpoint says how many tasks it wants at once (its workers plus a small queue).
        if (typeof message.prefetch === 'number' && Number.isInteger(message.prefetch) && message.prefetch > 0) connection.prefetch = Math.min(message.prefetch, 100_000);
        connection.languages = readLanguages(message.languages);
        connection.ready = true;
        continue;
      }
      if (typeof message.task_id !== 'string') continue;
      if (message.type === 'status' && (message.status === 'waiting-for-launch' || message.status === 'running')) {
        work.push(this.#broker.setStatus(connection.endpointId, message.task_id, message.status));
      } else if (message.type === 'result' && (typeof message.result === 'string' || typeof message.exception === 'string')) {
        work.push(this.#broker.finish(connection.endpointId, message));
        const ref = connection.inflight.get(message.task_id);
        if (ref !== undefined) acks.push(ref);
        connection.inflight.delete(message.task_id);
      }
    }
    await Promise.all(work);
    if (acks.length > 0) await connection.queue.ack(acks);
    this.#pump(connection);
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
