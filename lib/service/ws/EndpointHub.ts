import { v4 as uuidv4 } from 'uuid';
import type { Subscription } from 'rxjs';
import type { WebSocket } from 'ws';
import { ResultTooLarge } from '../../endpoint/ResultTooLarge.js';
import { FRAME_LIMIT_BYTES, FRAME_MAX_BYTES, type EndpointEngineReport, type EndpointFunctionMessage, type EndpointLanguages, type EndpointPartialMessage, type EndpointResultMessage, type PartialCredit, type EndpointTaskMessage, type EndpointToService, type ServiceToEndpoint } from '../../protocol/endpointChannel.js';
import { decodeFrame, encodeFrames } from '../../protocol/frames.js';
import { serializeError } from '../../serialize/serialize.js';
import type { EndpointConnections } from '../tasks/EndpointConnections.js';
import type { TaskEntry, TaskMove } from '../core/records.js';
import type { EndpointQueue, TakenTask } from '../core/TaskBus.js';
import { logFailure, type Logger } from '../log.js';
import type { TaskBroker } from '../TaskBroker.js';

/** The most partials of one endpoint connection that wait to be recorded; more are dropped and logged. */
const MAX_PENDING_PARTIALS = 100_000;

/** The longest wait between two tries of a report the backend refused (it is unreachable). */
const MAX_REPORT_RETRY_MS = 5000;

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
  /** How soon a dead replica's tasks move on (presence renewed every quarter of it). @default 2000 */
  readonly failoverMs?: number;
  /** Where failures are told. */
  readonly log: Logger;
  /** The largest serialized result the service takes; a larger one fails its task with `ResultTooLarge`. @default 10 MiB */
  readonly maxResultBytes?: number;
  /** The largest frame the endpoint socket accepts (the `ws` server's `maxPayload`). @default 64 MiB */
  readonly maxFrameBytes?: number;
}

/** One endpoint connection: a consumer of its endpoint's queue, holding at most `prefetch` tasks. */
interface Connection {
  readonly socket: WebSocket;
  readonly endpointId: string;
  /** The endpoint's owner: its tasks and queue are found under them. */
  readonly ownerId: string;
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
  /**
   * A take failed: its answer may have been lost with tasks it took (they are this consumer's in
   * the queue, and unknown here). Before the next take, everything it holds is given back and
   * requeued; the endpoint drops what it already runs when it comes again.
   */
  recover: boolean;
  again: boolean;
  /** Statuses and results received in this tick, recorded together at its end; null when none. */
  intake: Intake | null;
  /**
   * The partials received so far are recorded, in order: each tick's partials are recorded after
   * the previous tick's (a seq is stored only after the one before it), and its results after its
   * partials (a result's count never runs ahead of what is stored).
   */
  partialsRecorded: Promise<void>;
  /** Partials received and not yet recorded (at most MAX_PENDING_PARTIALS; an endpoint that keeps its credit stays far below). */
  partialsPending: number;
  readonly subscriptions: Subscription[];
}

/** What one tick's frames from an endpoint reported. */
interface Intake {
  readonly statuses: TaskMove[];
  readonly results: EndpointResultMessage[];
  /** Generators' partials, in the order received (§11). */
  readonly partials: EndpointPartialMessage[];
  /** Queue references of the tasks that ended. */
  readonly acks: string[];
  /** How many times part of it was refused by the backend before. */
  attempt: number;
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
 * const hub = new EndpointHub(new EndpointConnections(backend, broker), broker, { pingIntervalMs: 10_000, log });
 * hub.attach(socket, endpointId, ownerId);
 * ```
 */
export class EndpointHub {
  readonly #connectionsCases: EndpointConnections;
  readonly #broker: TaskBroker;
  readonly #pingIntervalMs: number;
  readonly #failoverMs: number;
  readonly #log: Logger;
  readonly #maxResultBytes: number;
  readonly #maxFrameBytes: number;
  /** The credit every task's run starts with: the service's window of unread partials. */
  readonly #firstCredit: PartialCredit;
  /** Tasks that were running on overflowed connections, and how many times; deleted when they end. */
  readonly #strikes = new Map<string, number>();
  readonly #replicaId = uuidv4();
  readonly #connections = new Set<Connection>();
  /** What closed connections still write (their give-back), so that close() can wait for it; each deletes itself. */
  readonly #closing = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | null = null;
  #presenceTimer: NodeJS.Timeout | null = null;

  /**
   * @param connections - the use cases of endpoint connections (the hub touches no store)
   * @param broker - the task use cases: dispatch, report, give-back
   * @param options - ping interval, failover, result and frame limits, logger
   */
  constructor(connections: EndpointConnections, broker: TaskBroker, options: EndpointHubOptions) {
    this.#connectionsCases = connections;
    this.#broker = broker;
    this.#pingIntervalMs = options.pingIntervalMs;
    this.#failoverMs = options.failoverMs ?? 2000;
    this.#log = options.log.child({ component: 'endpoint-hub' });
    this.#maxResultBytes = options.maxResultBytes ?? 10 * 1024 * 1024;
    this.#maxFrameBytes = options.maxFrameBytes ?? 64 * 1024 * 1024;
    const { window } = broker.partials;
    this.#firstCredit = { count: window.maxUnread, bytes: window.maxUnreadBytes };
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

  /**
   * What each open connection of this replica holds, for metrics and operator views: its
   * endpoint, the tasks sent to it and not ended, and its engine's workers (null before its
   * first engine report).
   */
  get holdings(): { endpointId: string; inflight: number; workers: { total: number; free: number } | null }[] {
    return [...this.#connections].map((c) => ({ endpointId: c.endpointId, inflight: c.inflight.size, workers: c.engine?.workers ?? null }));
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
      ownerId,
      consumerId,
      queue: this.#connectionsCases.queue(ownerId, endpointId, consumerId),
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
      recover: false,
      again: false,
      intake: null,
      partialsRecorded: Promise.resolve(),
      partialsPending: 0,
      subscriptions: [],
    };
    this.#connections.add(connection);
    const log = this.#log.child({ endpointId, consumerId });
    log.info('endpoint connected');
    // Best effort: a backend that cannot be reached now must not crash the process.
    void this.#connectionsCases.connected(endpointId, ownerId).catch(logFailure(log, 'touching the endpoint failed'));
    // Present first, then reclaim: what a connection of this endpoint on a replica that died held
    // comes back to it at once if that presence has already expired.
    void this.#heartbeat(connection).then(() => this.#reclaim(ownerId, endpointId));
    this.#startTimer();
    connection.subscriptions.push(
      connection.queue.wake$.subscribe({ next: () => this.#pump(connection), error: logFailure(log, 'the endpoint queue\'s wake-ups failed; the presence tick pumps instead') }),
      this.#connectionsCases.controlEvents(endpointId).subscribe({ error: logFailure(log, 'control events failed; a task cancelled now may run to its end here (its result is ignored)'), next: (event) => {
        // A credit goes to every connection of the endpoint here, sent the task or not: one that
        // reconnected runs it on before the task is dispatched to it again (it ignores others).
        if (event.type === 'credit') return this.#send(connection, [{ type: 'credit', task_id: event.taskId, count: event.count, bytes: event.bytes }]);
        const ref = connection.inflight.get(event.taskId);
        if (ref === undefined) return;
        connection.inflight.delete(event.taskId);
        connection.running.delete(event.taskId);
        this.#strikes.delete(event.taskId);
        // Not acknowledged: the task stays this consumer's, and is given back (ended, so not requeued) when it closes.
        void connection.queue.ack([ref]).catch(logFailure(log, 'acknowledging a cancelled task failed', { taskId: event.taskId }));
        this.#send(connection, [{ type: 'cancel', task_id: event.taskId }]);
        this.#pump(connection);
      } }),
    );
    socket.on('message', (data, isBinary) => {
      connection.alive = true;
      if (!isBinary) void this.#receive(connection, String(data)).catch(logFailure(log, 'handling an endpoint frame failed'));
    });
    socket.on('pong', () => (connection.alive = true));
    socket.on('close', () => {
      this.#connections.delete(connection);
      for (const s of connection.subscriptions) s.unsubscribe();
      log.info('endpoint disconnected');
      if (connection.overflowed) this.#strike(connection);
      // What it had not finished goes back on the queue, for this endpoint's next connection. If
      // the backend is unreachable now, a presence left behind expires by itself (failoverMs) and
      // a live replica reclaims what it held.
      const work = this.#connectionsCases.disconnected(endpointId, consumerId, ownerId, connection.queue).then((failures) => {
        for (const { part, error } of failures) log.warn({ err: error, part }, 'recording an endpoint connection\'s close failed in part; what it held is reclaimed once its presence expires');
      });
      this.#closing.add(work);
      void work.finally(() => this.#closing.delete(work));
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

  /**
   * Waits until what closed connections still write has landed (their unfinished tasks given
   * back), so that a replica that shuts down hands its endpoints' work on before its backend closes.
   *
   * @returns when done
   */
  async settled(): Promise<void> {
    while (this.#closing.size > 0) await Promise.all([...this.#closing]);
  }

  /** Stops the ping timer; the sockets themselves are closed by the server. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#presenceTimer) clearInterval(this.#presenceTimer);
    this.#timer = null;
    this.#presenceTimer = null;
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
          if (connection.recover) {
            await this.#broker.giveBack(connection.queue);
            connection.recover = false;
          }
          while (connection.socket.readyState === connection.socket.OPEN && connection.inflight.size < connection.prefetch) {
            const { taken, claimed } = await this.#broker.takeForDispatch(connection.queue, connection.prefetch - connection.inflight.size);
            if (taken.length === 0) break;
            await this.#dispatch(connection, taken, claimed);
          }
        } while (connection.again);
      } catch (error) {
        // Retried by the next wake or presence tick.
        connection.recover = true;
        this.#log.warn({ err: error, endpointId: connection.endpointId }, 'taking tasks for an endpoint failed; retrying');
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
    const unknown = new Set<string>();
    for (const task of claimed) if (!connection.offered.has(task.functionId)) unknown.add(task.functionId);
    const existing = unknown.size === 0 ? unknown : await this.#connectionsCases.existing([...unknown]);
    const known = new Map([...unknown].map((id) => [id, existing.has(id)]));
    // The inputs' results travel with their dependants (docs/protocol-extensions.md §12).
    const inputs = await this.#broker.inputsOf(claimed);
    const messages: EndpointTaskMessage[] = [];
    for (const task of claimed) {
      if (task.payload === null || known.get(task.functionId) === false) continue;
      const taskInputs = inputs.get(task.id);
      // The code itself travels only when the endpoint asks for it (get_function).
      // Every run starts with the window as credit: a run again after some were read is told its
      // larger credit when it sends seqs heard before (#recordPartials).
      messages.push({ type: 'task', task_id: task.id, function_id: task.functionId, payload: task.payload, credit: this.#firstCredit, ...(taskInputs ? { inputs: taskInputs } : {}) });
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
      void this.#broker.finish(connection.ownerId, connection.endpointId, { type: 'result', task_id: id, exception: serializeError(error) }).catch(logFailure(this.#log, 'failing a task that overflowed its connection failed; it runs again', { taskId: id }));
    }
  }

  /** Answers an endpoint's request for a function's code: only functions of tasks sent to it. */
  async #sendFunction(connection: Connection, functionId: string): Promise<void> {
    const code = connection.offered.has(functionId) ? await this.#connectionsCases.code(functionId) : undefined;
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
    const tooLarge = typeof text === 'string' ? ResultTooLarge.check(text, this.#maxResultBytes) : undefined;
    return tooLarge ? { type: 'result', task_id: message.task_id, exception: serializeError(tooLarge) } : message;
  }

  /** Sends messages in frames of at most FRAME_LIMIT_BYTES (a larger message goes alone). */
  #send(connection: Connection, messages: readonly ServiceToEndpoint[]): void {
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    for (const { text } of encodeFrames(messages, FRAME_LIMIT_BYTES)) connection.socket.send(text);
  }

  async #receive(connection: Connection, text: string): Promise<void> {
    const decoded = decodeFrame(text);
    if (decoded === undefined) {
      // A malformed frame is dropped; the connection goes on.
      this.#log.warn({ endpointId: connection.endpointId, bytes: text.length }, 'dropped a frame from an endpoint that is not JSON');
      return;
    }
    const messages = decoded as EndpointToService[];
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
      } else if (message.type === 'partial') {
        // Not only for tasks sent on this connection: an endpoint that reconnects sends again the
        // partials it is not sure were stored, before its tasks come back to it (PartialCases
        // checks that each is this endpoint's live task).
        this.#intake(connection).partials.push(message);
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
   * read: one broker call (one write) for their statuses and results.
   */
  #intake(connection: Connection): Intake {
    if (connection.intake === null) {
      connection.intake = { statuses: [], results: [], partials: [], acks: [], attempt: 0 };
      // #record catches everything: nothing here can reject.
      queueMicrotask(() => void this.#record(connection));
    }
    return connection.intake;
  }

  /**
   * Records a tick's intake. A report the backend refuses is tried again (reports are
   * idempotent: statuses only move forward, the first end wins) until it lands or the connection
   * closes; then the tasks it held are given back and their results come again from the
   * endpoint, which keeps them.
   */
  async #record(connection: Connection): Promise<void> {
    const intake = connection.intake!;
    connection.intake = null;
    const { statuses, results, partials, acks, attempt } = intake;
    if (partials.length > 0) {
      if (connection.partialsPending + partials.length > MAX_PENDING_PARTIALS) {
        this.#log.warn({ endpointId: connection.endpointId, partials: partials.length, pending: connection.partialsPending }, 'dropped partials: too many wait to be recorded (the endpoint ignores its credit, or the backend is slow)');
      } else {
        connection.partialsPending += partials.length;
        connection.partialsRecorded = connection.partialsRecorded.then(() => this.#recordPartials(connection, partials)).then(() => void (connection.partialsPending -= partials.length));
      }
    }
    if (results.length > 0) await connection.partialsRecorded;
    try {
      // One broker call: one script in Redis for the statuses and results together.
      const recorded = this.#broker.report(connection.ownerId, connection.endpointId, statuses, results);
      // The endpoint has room again: more work goes out while these results are being recorded.
      if (acks.length > 0 && attempt === 0) this.#pump(connection);
      await recorded;
      // Acknowledged once ended: a task is never out of the queue before its end is stored.
      if (acks.length > 0) await connection.queue.ack(acks);
    } catch (error) {
      const delay = Math.min(MAX_REPORT_RETRY_MS, 100 * 2 ** attempt);
      this.#log.warn({ err: error, endpointId: connection.endpointId, statuses: statuses.length, results: results.length, attempt, retryInMs: delay }, 'recording an endpoint report failed; retrying');
      if (!this.#connections.has(connection)) return;
      setTimeout(() => {
        if (!this.#connections.has(connection)) return;
        // Merged into this tick's intake, in front: reported again with what came since.
        const next = this.#intake(connection);
        next.statuses.unshift(...statuses);
        next.results.unshift(...results);
        // Partials are not retried here: #recordPartials retries them, in order, itself.
        next.acks.unshift(...acks);
        next.attempt = Math.max(next.attempt, attempt + 1);
      }, delay).unref();
    }
  }

  /**
   * Records a tick's partials, retrying while the backend refuses them and the connection is
   * open (each seq is stored only after the one before, so they wait in order). A task that sent
   * seqs heard before runs again: its larger credit is sent back. Never rejects.
   */
  async #recordPartials(connection: Connection, partials: readonly EndpointPartialMessage[]): Promise<void> {
    for (let attempt = 0; this.#connections.has(connection); attempt++) {
      try {
        const credits = await this.#broker.partials.report(connection.ownerId, connection.endpointId, partials);
        // To this connection, sent the task or not: a reconnected endpoint sends its unstored partials again before the task comes back to it.
        if (credits.length > 0) this.#send(connection, credits.map(({ taskId, credit }) => ({ type: 'credit', task_id: taskId, count: credit.count, bytes: credit.bytes })));
        return;
      } catch (error) {
        const delay = Math.min(MAX_REPORT_RETRY_MS, 100 * 2 ** attempt);
        this.#log.warn({ err: error, endpointId: connection.endpointId, partials: partials.length, attempt, retryInMs: delay }, 'recording partials failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
    // The connection closed: its tasks run again elsewhere, and yield from 0 again.
  }

  async #heartbeat(connection: Connection): Promise<void> {
    await this.#connectionsCases.renew(connection.endpointId, connection.consumerId, this.#failoverMs).catch(logFailure(this.#log, 'renewing an endpoint connection\'s presence failed', { endpointId: connection.endpointId }));
  }

  #startTimer(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#ping(), this.#pingIntervalMs);
    this.#timer.unref();
    // #presence catches everything: nothing here can reject.
    this.#presenceTimer = setInterval(() => void this.#presence(), Math.max(50, this.#failoverMs / 4));
    this.#presenceTimer.unref();
  }

  /** Pings every connection; one that did not answer the last ping (nor sent anything) is dropped. */
  #ping(): void {
    for (const connection of this.#connections) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }

  /**
   * Renews the presence of this replica's connections, and reclaims, for their endpoints, the
   * tasks of consumers no longer alive (a replica that died, a connection whose close was not
   * recorded), so that they move on within failoverMs.
   */
  async #presence(): Promise<void> {
    const endpoints = new Map<string, string>();
    await Promise.all([...this.#connections].map((connection) => {
      endpoints.set(connection.endpointId, connection.ownerId);
      this.#pump(connection);
      return this.#heartbeat(connection);
    }));
    await Promise.all([...endpoints].map(([endpointId, ownerId]) => this.#reclaim(ownerId, endpointId)));
  }

  async #reclaim(ownerId: string, endpointId: string): Promise<void> {
    try {
      const requeued = await this.#connectionsCases.reclaimDead(ownerId, endpointId);
      if (requeued > 0) this.#log.info({ endpointId, requeued }, 'requeued the tasks of endpoint connections no longer alive');
    } catch (error) {
      this.#log.warn({ err: error, endpointId }, 'reclaiming tasks failed; the next presence tick tries again');
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
