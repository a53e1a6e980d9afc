import WebSocket from 'ws';
import type { EndpointResultMessage, EndpointTaskMessage, EndpointToService, ServiceToEndpoint } from '../protocol/endpointChannel.js';
import { backoffDelay } from '../reactive/backoff.js';
import { EndpointAuthError } from './EndpointAuthError.js';
import type { EndpointOptions } from './EndpointOptions.js';
import { LanguageQueue } from './LanguageQueue.js';
import { findPython, type PythonSearch } from './python/findPython.js';
import { TaskRunner } from './TaskRunner.js';

/** Results kept after sending, to answer a task the service sends again after a reconnect. */
const RECENT_RESULTS = 10_000;

/**
 * An endpoint: connects to the service over its own WebSocket, runs the tasks it is sent on a
 * {@link TaskRunner} (worker threads for JavaScript, worker processes for Python), and reports
 * statuses and results. It runs at most one task per worker and queues the rest itself, a line
 * per language, so `running` is reported exactly when a worker takes a task and a
 * cancelled queued task simply leaves the queue. Results made while disconnected are sent after
 * reconnecting; the connection is retried with backoff until `close()`.
 *
 * @example
 * ```ts
 * import { Endpoint } from 'funcx-rx/service';
 * const endpoint = await Endpoint.start({ serviceUrl, endpointId, secret, workers: 4 });
 * // ...
 * await endpoint.close();
 * ```
 */
export class Endpoint {
  readonly #options: EndpointOptions;
  readonly #pool: TaskRunner;
  readonly #queue = new LanguageQueue();
  readonly #running = new Map<string, AbortController>();
  readonly #recent = new Map<string, EndpointResultMessage>();
  #outbox: EndpointToService[] = [];
  #socket: WebSocket | null = null;
  #flushScheduled = false;
  #closed = false;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #connections = 0;

  private constructor(options: EndpointOptions, python: PythonSearch) {
    this.#options = options;
    this.#pool = new TaskRunner({ ...options, python });
  }

  /**
   * Starts an endpoint and waits for its first connection.
   *
   * @param options - service, credentials, workers, limits
   * @returns the connected endpoint
   * @throws {@link EndpointAuthError} when the service refuses the credentials
   * @example
   * ```ts
   * const endpoint = await Endpoint.start({ serviceUrl, endpointId, secret });
   * ```
   */
  static async start(options: EndpointOptions): Promise<Endpoint> {
    const endpoint = new Endpoint(options, await findPython(options.python));
    try {
      await endpoint.#connect();
    } catch (error) {
      await endpoint.close();
      throw error;
    }
    return endpoint;
  }

  /** This endpoint's id. */
  get endpointId(): string {
    return this.#options.endpointId;
  }

  /** Whether the connection to the service is open. */
  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** How many times it has connected. */
  get connections(): number {
    return this.#connections;
  }

  /** Which languages this endpoint runs (Python when a CPython 3 was found), as it tells the service. */
  get languages(): TaskRunner['languages'] {
    return this.#pool.languages;
  }

  /** Tasks running and queued here now. */
  get load(): { running: number; queued: number } {
    return { running: this.#running.size, queued: this.#queue.size };
  }

  /**
   * Stops: no more reconnects, the connection closed, running tasks stopped, workers ended.
   * Unfinished tasks go back to the service's queue when it sees the connection close.
   *
   * @returns when every worker thread has exited
   * @example
   * ```ts
   * await endpoint.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#queue.clear();
    for (const controller of this.#running.values()) controller.abort(new Error('The endpoint is closing'));
    this.#socket?.close(1001);
    this.#socket = null;
    await this.#pool.close();
  }

  #url(): string {
    const base = new URL(this.#options.serviceUrl);
    const origin = base.origin.replace(/^http/, 'ws');
    const path = base.pathname.replace(/\/+$/, '').replace(/\/v2$/, '');
    return `${origin}${path}/ws/v2/endpoints/${encodeURIComponent(this.#options.endpointId)}`;
  }

  /** Opens one connection; resolves when open, rejects when refused or failed. */
  #connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.#url(), { headers: { authorization: `Bearer ${this.#options.secret}` }, maxPayload: 64 * 1024 * 1024 });
      let opened = false;
      socket.on('unexpected-response', (_request, response) => {
        const status = response.statusCode ?? 0;
        response.resume();
        socket.terminate();
        reject(status === 401 || status === 403 ? new EndpointAuthError(status) : new Error(`The service answered HTTP ${status} to the endpoint handshake`));
      });
      socket.on('open', () => {
        opened = true;
        this.#socket = socket;
        this.#attempt = 0;
        this.#connections++;
        // The credit: how many tasks the service may hold out to this process (docs/protocol-extensions.md §6),
        // and which languages it runs.
        socket.send(JSON.stringify({ type: 'hello', prefetch: this.#options.prefetch ?? Math.max(64, 4 * this.#pool.size), languages: this.#pool.languages }));
        this.#scheduleFlush();
        resolve();
      });
      socket.on('message', (data, isBinary) => {
        if (!isBinary) this.#receive(String(data));
      });
      socket.on('error', (error) => {
        if (!opened) reject(error);
      });
      socket.on('close', () => {
        if (this.#socket === socket) this.#socket = null;
        if (opened) this.#reconnectLater();
      });
    });
  }

  #reconnectLater(): void {
    if (this.#closed || this.#reconnectTimer) return;
    const delay = backoffDelay(++this.#attempt, this.#options.reconnect);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (this.#closed) return;
      this.#connect().catch((error: unknown) => {
        // Credentials refused after a restart of the service: nothing more to do.
        if (error instanceof EndpointAuthError) void this.close();
        else this.#reconnectLater();
      });
    }, delay);
  }

  #receive(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return; // a malformed frame is dropped; the connection goes on
    }
    for (const message of (Array.isArray(parsed) ? parsed : [parsed]) as ServiceToEndpoint[]) {
      if (typeof message !== 'object' || message === null || typeof message.task_id !== 'string') continue;
      if (message.type === 'task') this.#accept(message);
      else if (message.type === 'cancel') this.#cancel(message.task_id);
    }
    this.#pump();
  }

  #accept(task: EndpointTaskMessage): void {
    const id = task.task_id;
    if (this.#running.has(id) || this.#queue.has(id)) return;
    // Sent again after a reconnect, but already done here: its result may have been lost in the old connection.
    const done = this.#recent.get(id);
    if (done) return this.#send(done);
    const language = this.#queue.add(task);
    if (this.#pool.running(language) + this.#queue.count(language) > this.#pool.capacity(language)) this.#send({ type: 'status', task_id: id, status: 'waiting-for-launch' });
  }

  #cancel(taskId: string): void {
    if (this.#queue.delete(taskId)) return;
    this.#running.get(taskId)?.abort(new Error('Cancelled by the service'));
  }

  /** Starts queued tasks while workers are free. */
  #pump(): void {
    while (!this.#closed) {
      const task = this.#queue.take((language) => this.#pool.hasRoom(language));
      if (task === undefined) return;
      this.#start(task);
    }
  }

  #start(task: EndpointTaskMessage): void {
    const controller = new AbortController();
    this.#running.set(task.task_id, controller);
    this.#send({ type: 'status', task_id: task.task_id, status: 'running' });
    const timeoutMs = task.timeout_ms ?? this.#options.taskTimeoutMs;
    this.#pool
      .run({ functionId: task.function_id, functionCode: task.function_code, payload: task.payload }, { signal: controller.signal, ...(timeoutMs === undefined ? {} : { timeoutMs }) })
      .then(
        (outcome) => {
          const message: EndpointResultMessage = { type: 'result', task_id: task.task_id, ...outcome };
          this.#remember(message);
          this.#send(message);
        },
        () => {
          // Aborted: cancelled by the service or stopped by close(); nobody waits for an answer.
        },
      )
      .finally(() => {
        this.#running.delete(task.task_id);
        this.#pump();
      });
  }

  #remember(message: EndpointResultMessage): void {
    this.#recent.set(message.task_id, message);
    if (this.#recent.size > RECENT_RESULTS) this.#recent.delete(this.#recent.keys().next().value as string);
  }

  #send(message: EndpointToService): void {
    if (this.#closed) return;
    this.#outbox.push(message);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#outbox.length === 0 || !this.connected) return;
    this.#flushScheduled = true;
    // Messages made in one tick go out in one frame.
    setImmediate(() => {
      this.#flushScheduled = false;
      const socket = this.#socket;
      if (socket === null || socket.readyState !== WebSocket.OPEN || this.#outbox.length === 0) return;
      const batch = this.#outbox;
      this.#outbox = [];
      socket.send(JSON.stringify(batch), (error) => {
        // Not sent: keep it for the next connection (the service drops duplicates).
        if (error) this.#outbox.unshift(...batch);
      });
    });
  }
}
