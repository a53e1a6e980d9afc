import { createLogger } from '../service/log.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { decodeFrame, encodeFrames } from '../protocol/frames.js';
import { withTaskInputs } from '../serialize/taskInputs.js';
import { FRAME_LIMIT_BYTES, FRAME_MAX_BYTES, type EndpointEngineReport, type EndpointFunctionMessage, type EndpointResultMessage, type EndpointTaskMessage, type EndpointToService, type ServiceToEndpoint } from '../protocol/endpointChannel.js';
import { backoffDelay } from '../reactive/backoff.js';
import { codeLanguage, type Language } from '../serialize/codeLanguage.js';
import { ClusterEngine } from './engine/ClusterEngine.js';
import type { EngineTask, TaskEngine } from './engine/TaskEngine.js';
import { errorFormOf, serializeErrorAs } from '../serialize/errorForm.js';
import { splitTaskOptions } from '../serialize/taskOptions.js';
import { EndpointAuthError } from './EndpointAuthError.js';
import type { EndpointOptions } from './EndpointOptions.js';
import { FunctionCache } from './FunctionCache.js';
import { FunctionSpeeds } from './FunctionSpeeds.js';
import { LanguageQueue, type ReadyTask } from './LanguageQueue.js';
import { findPython, type PythonSearch } from './python/findPython.js';
import { ResultTooLarge } from './ResultTooLarge.js';
import { TaskRunner } from './TaskRunner.js';
import { WorkerCrashed } from './WorkerCrashed.js';
import type { WorkerOutcome, WorkerTask } from './worker.js';
import { PartialStreams } from './PartialStreams.js';

/** Results kept after sending, to answer a task the service sends again after a reconnect. */
const RECENT_RESULTS = 10_000;

/** The default result limit: 10 MB, as Globus Compute's. */
const DEFAULT_MAX_RESULT_BYTES = 10_000_000;

/** The largest result limit: an escaped result of this size still fits one frame. */
const MAX_RESULT_LIMIT = 32 * 1024 * 1024;

/** How often the engine's state is looked at for a change to report (blocks report at once). */
const REPORT_EVERY_MS = 1000;

/**
 * How long a task's statuses wait for its next message (its result, mostly): a fast task's
 * `running` and result then go in one frame, which the service records in one write per task
 * instead of two (in Redis, 2 commands fewer per task). Statuses are never later than this, and
 * always before their task's next message.
 */
const STATUS_LINGER_MS = 2;

/**
 * An endpoint: connects to the service over its own WebSocket, runs the tasks it is sent on its
 * engine, and reports statuses and results. The `local` engine, the default, is a
 * {@link TaskRunner} in this process (worker threads for JavaScript, worker processes for
 * Python); the `cluster` engine (option `cluster`, {@link ClusterEngine}) runs them on blocks of
 * worker managers that a provider (local processes, Slurm jobs) starts as the load asks. It gives each worker one task at a time, or a micro-batch of fast
 * functions' tasks when more wait than workers are free, and queues the rest itself, a line per
 * language, so `running` is reported exactly when a worker takes a task and a cancelled queued
 * task simply leaves the queue. Tasks do not carry their function's code: it
 * keeps the code of functions it has seen ({@link FunctionCache}) and asks the service for the
 * others, and their tasks wait until it comes. Results made while disconnected are sent after
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
  readonly #pool: TaskEngine;
  /** Whether the engine takes task ids (the cluster engine does; the local pool has no use for them). */
  readonly #maxResultBytes: number;
  readonly #sandboxDir: string;
  readonly #functions: FunctionCache;
  /** Tasks whose function's code is here, in arrival order. */
  readonly #queue = new LanguageQueue();
  /** Tasks waiting for their function's code, by function id. */
  readonly #needing = new Map<string, Map<string, EndpointTaskMessage>>();
  /** Functions asked for, and on which connection (a new connection asks again). */
  readonly #requested = new Map<string, number>();
  /** Tasks that were running when a previous process died; deleted as each is failed. */
  readonly #crashed: Set<string>;
  /** How to stop each running task (one of a micro-batch, or one alone). */
  readonly #running = new Map<string, () => void>();
  readonly #speeds = new FunctionSpeeds();
  readonly #recent = new Map<string, EndpointResultMessage>();
  /** Running generators' partials (§11). */
  readonly #streams: PartialStreams;
  #outbox: EndpointToService[] = [];
  /** Statuses waiting for their task's next message or STATUS_LINGER_MS, by task; emptied by both, and at close. */
  readonly #held = new Map<string, EndpointToService[]>();
  #heldTimer: NodeJS.Timeout | null = null;
  #socket: WebSocket | null = null;
  #flushScheduled = false;
  #closed = false;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #connections = 0;
  /** The engine's state as last sent on this connection (JSON), to send only changes. */
  #reported = '';
  #reportScheduled = false;
  #reportTimer: NodeJS.Timeout | null = null;
  readonly #stopped: Promise<Error | undefined>;
  #resolveStopped!: (reason: Error | undefined) => void;

  private constructor(options: EndpointOptions, python: PythonSearch) {
    this.#options = options;
    this.#maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
    if (!Number.isInteger(this.#maxResultBytes) || this.#maxResultBytes < 1 || this.#maxResultBytes > MAX_RESULT_LIMIT) {
      throw new TypeError(`Expected \`maxResultBytes\` to be a whole number from 1 to ${MAX_RESULT_LIMIT}, got \`${String(options.maxResultBytes)}\``);
    }
    this.#sandboxDir = options.sandboxDir ?? join(tmpdir(), `funcx-rx-endpoint-${options.endpointId}`, 'tasks_working_dir');
    this.#functions = new FunctionCache(options.functionCache);
    this.#crashed = new Set(options.crashedTasks?.taskIds);
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
    this.#pool =
      options.cluster === undefined
        ? new TaskRunner({ ...options, python })
        : new ClusterEngine(options.cluster, {
            endpointId: options.endpointId,
            python,
            log: (options.logger ?? createLogger()).child({ component: 'cluster', endpointId: options.endpointId }),
            ...(options.python === undefined ? {} : { pythonPath: options.python }),
            ...(options.maxResultBytes === undefined ? {} : { maxResultBytes: options.maxResultBytes }),
            ...(options.pythonMemoryMb === undefined ? {} : { pythonMemoryMb: options.pythonMemoryMb }),
            ...(options.maxOldGenerationSizeMb === undefined ? {} : { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb }),
          });
    this.#streams = new PartialStreams((message) => this.#send(message), (taskId, credit) => this.#pool.credit?.(taskId, credit));
    this.#pool.onPartial?.((partial) => this.#streams.partial(partial));
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
      await endpoint.#pool.start?.({
        outstanding: () => {
          const { running, queued } = endpoint.load;
          return running + queued;
        },
        wake: () => endpoint.#pump(),
        changed: () => endpoint.#reportSoon(),
      });
    } catch (error) {
      await endpoint.close();
      throw error;
    }
    endpoint.#reportTimer = setInterval(() => endpoint.#reportSoon(), REPORT_EVERY_MS);
    endpoint.#reportTimer.unref();
    for (;;) {
      try {
        await endpoint.#connect();
        return endpoint;
      } catch (error) {
        if (!options.retryFirstConnection || error instanceof EndpointAuthError || endpoint.#closed) {
          await endpoint.close();
          throw error;
        }
        const delay = backoffDelay(++endpoint.#attempt, options.reconnect);
        options.onConnectError?.(error as Error, delay);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
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

  /**
   * Its workers and waiting tasks now, by language (for its metrics).
   *
   * @returns per language: workers in all, busy, and tasks waiting here for one
   */
  loadByLanguage(): Record<Language, { readonly total: number; readonly busy: number; readonly queued: number }> {
    const of = (language: Language) => ({ total: this.#pool.capacity(language), busy: this.#pool.running(language), queued: this.#queue.count(language) });
    return { javascript: of('javascript'), python: of('python') };
  }

  /** Where its tasks run: a {@link TaskRunner} (the local engine) or a {@link ClusterEngine}. */
  get engine(): TaskEngine {
    return this.#pool;
  }

  /** Its engine's state: blocks pending and running, managers, free workers (as reported to the service). */
  get engineReport(): EndpointEngineReport {
    return this.#pool.report();
  }

  /** Tasks running and queued here now (queued includes tasks waiting for their function's code). */
  get load(): { running: number; queued: number } {
    let needing = 0;
    for (const tasks of this.#needing.values()) needing += tasks.size;
    return { running: this.#running.size, queued: this.#queue.size + needing };
  }

  /** How many functions' code it keeps now. */
  get cachedFunctions(): number {
    return this.#functions.size;
  }

  /**
   * Settles when the endpoint has stopped: with undefined after `close()`, or with the reason it
   * stopped by itself (an {@link EndpointAuthError} when a service refuses its credentials on a
   * reconnect).
   *
   * @example
   * ```ts
   * const reason = await endpoint.stopped;
   * if (reason) console.error(`stopped: ${reason.message}`);
   * ```
   */
  get stopped(): Promise<Error | undefined> {
    return this.#stopped;
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
    return this.#stop(undefined);
  }

  async #stop(reason: Error | undefined): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    if (this.#reportTimer) clearInterval(this.#reportTimer);
    if (this.#heldTimer) clearTimeout(this.#heldTimer);
    this.#heldTimer = null;
    this.#held.clear();
    this.#queue.clear();
    this.#needing.clear();
    this.#requested.clear();
    for (const stop of this.#running.values()) stop();
    this.#socket?.close(1001);
    this.#socket = null;
    await this.#pool.close();
    this.#resolveStopped(reason);
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
      const socket = new WebSocket(this.#url(), { headers: { authorization: `Bearer ${this.#options.secret}` }, maxPayload: FRAME_MAX_BYTES });
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
        // Partials that may have gone into the old connection go again (the service keeps the first of each).
        this.#streams.resend();
        this.#reported = '';
        this.#reportSoon();
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
        if (error instanceof EndpointAuthError) void this.#stop(error);
        else {
          this.#options.onConnectError?.(error as Error, backoffDelay(this.#attempt + 1, this.#options.reconnect));
          this.#reconnectLater();
        }
      });
    }, delay);
  }

  #receive(text: string): void {
    // A frame that is not JSON is dropped; the connection goes on.
    for (const message of (decodeFrame(text) ?? []) as ServiceToEndpoint[]) {
      if (typeof message !== 'object' || message === null) continue;
      if (message.type === 'function') {
        if (typeof message.function_id === 'string') this.#receiveFunction(message);
        continue;
      }
      if (typeof message.task_id !== 'string') continue;
      if (message.type === 'task' && typeof message.function_id === 'string' && typeof message.payload === 'string') this.#accept(message);
      else if (message.type === 'cancel') this.#cancel(message.task_id);
      else if (message.type === 'credit' && Number.isSafeInteger(message.count) && Number.isSafeInteger(message.bytes)) this.#streams.credit(message.task_id, { count: message.count, bytes: message.bytes });
    }
    this.#pump();
  }

  #accept(message: EndpointTaskMessage): void {
    // Every path to a worker carries the payload: the inputs' results travel in it (lib/serialize/taskInputs.ts).
    const task = message.inputs === undefined ? message : { ...message, payload: withTaskInputs(message.payload, message.inputs) };
    const id = task.task_id;
    if (this.#running.has(id) || this.#queue.has(id)) return;
    const needing = this.#needing.get(task.function_id);
    if (needing?.has(id)) return this.#askFor(task.function_id);
    // Sent again after a reconnect, but already done here: its result may have been lost in the old connection.
    const done = this.#recent.get(id);
    if (done) return this.#send(done);
    if (this.#crashed.delete(id)) {
      const reason = this.#options.crashedTasks?.reason ?? 'the endpoint process died';
      return this.#finish({ type: 'result', task_id: id, exception: serializeErrorAs(errorFormOf(task.payload), new WorkerCrashed(`${reason} while this task was running`)) });
    }
    const code = this.#functions.get(task.function_id);
    if (code === undefined) {
      if (needing === undefined) this.#needing.set(task.function_id, new Map([[id, task]]));
      else needing.set(id, task);
      this.#askFor(task.function_id);
    } else {
      this.#enqueue(task, code);
    }
  }

  /** Queues a task whose code is here, in its language's line; it waits for launch when that line's workers are busy. */
  #enqueue(task: EndpointTaskMessage, code: string): void {
    const language = this.#queue.add(task, code);
    if (this.#pool.running(language) + this.#queue.count(language) > this.#pool.capacity(language)) {
      this.#send({ type: 'status', task_id: task.task_id, status: 'waiting-for-launch' });
      // A cluster engine asks for blocks now rather than at its next period.
      this.#pool.demand?.();
    }
  }

  /** Asks for a function's code once per connection: the service answers only on the connection that sent its tasks. */
  #askFor(functionId: string): void {
    if (this.#requested.get(functionId) === this.#connections) return;
    this.#requested.set(functionId, this.#connections);
    this.#send({ type: 'get_function', function_id: functionId });
  }

  /** A function's code came (its waiting tasks become ready), or the service cannot give it (they fail). */
  #receiveFunction(message: EndpointFunctionMessage): void {
    const id = message.function_id;
    this.#requested.delete(id);
    const tasks = this.#needing.get(id);
    this.#needing.delete(id);
    if (typeof message.function_code === 'string') {
      this.#functions.set(id, message.function_code);
      for (const task of tasks?.values() ?? []) this.#enqueue(task, message.function_code);
      return;
    }
    const error = new Error(typeof message.error === 'string' ? message.error : `The service sent no code for function ${id}`);
    error.name = 'FunctionUnavailable';
    for (const task of tasks?.values() ?? []) this.#finish({ type: 'result', task_id: task.task_id, exception: serializeErrorAs(errorFormOf(task.payload), error) });
  }

  #cancel(taskId: string): void {
    if (this.#queue.delete(taskId)) return;
    for (const tasks of this.#needing.values()) if (tasks.delete(taskId)) return;
    this.#running.get(taskId)?.();
  }

  /**
   * Starts queued tasks while workers are free. A worker (a thread, or a CPython process) takes a
   * micro-batch of its language's tasks when more wait than there are free workers: up to an
   * even share of the line, and as many as its functions' measured speed allows
   * ({@link FunctionSpeeds}); a slow or new function's tasks go one by one.
   */
  #pump(): void {
    while (!this.#closed) {
      const ready = this.#queue.take((language) => this.#pool.hasRoom(language));
      if (ready === undefined) return;
      const batch = this.#options.microBatch !== false && this.#pool.runBatch !== undefined ? this.#batchAfter(ready) : null;
      if (batch === null) this.#start(ready);
      else this.#startBatch(batch);
    }
  }

  /** The micro-batch that starts with `first`, or null when it would hold only `first`. */
  #batchAfter(first: ReadyTask): ReadyTask[] | null {
    const language = codeLanguage(first.code);
    const free = this.#pool.capacity(language) - this.#pool.running(language);
    let limit = Math.min(this.#speeds.batchSize(first.task.function_id), Math.ceil((this.#queue.count(language) + 1) / free));
    if (!(limit > 1)) return null;
    const batch = [first];
    for (let next = this.#queue.peek(language); next !== undefined && batch.length < limit; next = this.#queue.peek(language)) {
      limit = Math.min(limit, this.#speeds.batchSize(next.task.function_id));
      if (batch.length >= limit) break;
      batch.push(this.#queue.shift(language)!);
    }
    return batch.length > 1 ? batch : null;
  }

  #startBatch(batch: readonly ReadyTask[]): void {
    const ids = batch.map(({ task }) => task.task_id);
    // Told before they start: a function may kill the process at once.
    this.#options.onTaskRunning?.(ids, true);
    for (const id of ids) this.#send({ type: 'status', task_id: id, status: 'running' });
    const python = codeLanguage(batch[0]!.code) === 'python';
    const run = this.#pool.runBatch!(
      batch.map(({ task, code }) => ({
        functionId: task.function_id,
        functionCode: code,
        timeoutMs: task.timeout_ms ?? this.#options.taskTimeoutMs,
        ...(python ? this.#pythonTask(task) : { payload: splitTaskOptions(task.payload).payload, taskId: task.task_id }),
        ...(task.credit === undefined ? {} : { credit: task.credit }),
      })),
      {
        maxResultBytes: this.#maxResultBytes,
        onOutcome: (index, outcome, ms) => {
          const { task } = batch[index]!;
          if (ms > 0) this.#speeds.record(task.function_id, ms);
          this.#ran(batch[index]!.code, ms, outcome);
          this.#running.delete(task.task_id);
          this.#options.onTaskRunning?.([task.task_id], false);
          void this.#streams.end(task.task_id, outcome.partials).then(() => this.#finish(resultOf(task.task_id, outcome), task.payload));
        },
      },
    );
    ids.forEach((id, index) => {
      this.#running.set(id, () => run.cancel(index));
      this.#streams.begin(id, batch[index]!.task.credit);
    });
    void run.done.then(() => {
      // Cancelled ones: nobody waits for an answer.
      const stopped = ids.filter((id) => this.#running.delete(id));
      for (const id of stopped) this.#streams.forget(id);
      if (stopped.length > 0) this.#options.onTaskRunning?.(stopped, false);
      this.#pump();
    });
  }

  #start({ task, code }: ReadyTask): void {
    const controller = new AbortController();
    this.#running.set(task.task_id, () => controller.abort(new Error('Stopped by the service or the endpoint closing')));
    // Told before it starts: a function may kill the process at once.
    this.#options.onTaskRunning?.([task.task_id], true);
    this.#send({ type: 'status', task_id: task.task_id, status: 'running' });
    const timeoutMs = task.timeout_ms ?? this.#options.taskTimeoutMs;
    const started = performance.now();
    // The task's id goes too: the cluster engine tracks tasks by it, the Python worker names its sandbox after it.
    const work: EngineTask = { functionId: task.function_id, functionCode: code, maxResultBytes: this.#maxResultBytes, ...this.#pythonTask(task), ...(task.credit === undefined ? {} : { credit: task.credit }) };
    this.#streams.begin(task.task_id, task.credit);
    this.#pool
      .run(
        work,
        { signal: controller.signal, ...(timeoutMs === undefined ? {} : { timeoutMs }) },
      )
      .then(
        (outcome) => {
          // The function's own time when its worker measured it (a Python process), else the trip's.
          const ms = outcome.ms ?? performance.now() - started;
          this.#speeds.record(task.function_id, ms);
          this.#ran(code, ms, outcome);
          return this.#streams.end(task.task_id, outcome.partials).then(() => this.#finish(resultOf(task.task_id, outcome), task.payload));
        },
        () => {
          // Aborted: cancelled by the service or stopped by close(); nobody waits for an answer.
          this.#streams.forget(task.task_id);
        },
      )
      .finally(() => {
        this.#running.delete(task.task_id);
        this.#options.onTaskRunning?.([task.task_id], false);
        this.#pump();
      });
  }

  /** Sends the engine's state to the service soon, if it changed since last sent on this connection. */
  #reportSoon(): void {
    if (this.#reportScheduled || this.#closed) return;
    this.#reportScheduled = true;
    setImmediate(() => {
      this.#reportScheduled = false;
      if (!this.connected) return;
      const engine = this.#pool.report();
      const text = JSON.stringify(engine);
      if (text === this.#reported) return;
      this.#reported = text;
      this.#send({ type: 'engine', engine });
    });
  }

  /**
   * What a worker needs beside the code: the arguments without the task's options (a v3
   * submit's, docs/serialization.md), the options themselves, and Globus Compute's per-task
   * sandbox.
   */
  #pythonTask(task: EndpointTaskMessage): Pick<WorkerTask, 'payload' | 'taskId' | 'options' | 'sandboxDir' | 'mpiLauncher'> {
    const { payload, options } = splitTaskOptions(task.payload);
    return { payload, options, taskId: task.task_id, sandboxDir: this.#sandboxDir, mpiLauncher: this.#options.mpiLauncher ?? 'mpiexec' };
  }

  /** Tells the metrics, when there are any, how a task ran. */
  #ran(code: string, ms: number, outcome: WorkerOutcome): void {
    this.#options.metrics?.ran(codeLanguage(code), ms / 1000, 'result' in outcome ? 'success' : outcome.crashed ? 'crashed' : 'failed');
  }

  /** Sends a task's end, replacing an outcome over the result limit (a huge exception too) by `ResultTooLarge`, in the form its submitter reads. */
  #finish(message: EndpointResultMessage, payload: string | null = null): void {
    const tooLarge = ResultTooLarge.check(message.result ?? message.exception ?? '', this.#maxResultBytes);
    if (tooLarge) message = { type: 'result', task_id: message.task_id, exception: serializeErrorAs(errorFormOf(payload), tooLarge) };
    this.#remember(message);
    this.#send(message);
  }

  #remember(message: EndpointResultMessage): void {
    this.#recent.set(message.task_id, message);
    if (this.#recent.size > RECENT_RESULTS) this.#recent.delete(this.#recent.keys().next().value as string);
  }

  #send(message: EndpointToService): void {
    if (this.#closed) return;
    if (message.type === 'status') {
      this.#hold(message.task_id, message);
      return;
    }
    // A task's held statuses go first, in the same frame: the service records them with it.
    if ('task_id' in message) {
      const held = this.#held.get(message.task_id);
      if (held !== undefined) {
        this.#held.delete(message.task_id);
        this.#outbox.push(...held);
      }
    }
    this.#outbox.push(message);
    this.#scheduleFlush();
  }

  #hold(taskId: string, message: EndpointToService): void {
    const held = this.#held.get(taskId);
    if (held === undefined) this.#held.set(taskId, [message]);
    else held.push(message);
    this.#heldTimer ??= setTimeout(() => {
      this.#heldTimer = null;
      for (const messages of this.#held.values()) this.#outbox.push(...messages);
      this.#held.clear();
      this.#scheduleFlush();
    }, STATUS_LINGER_MS);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#outbox.length === 0 || !this.connected) return;
    this.#flushScheduled = true;
    // Messages made in one tick go out together, in frames of at most FRAME_LIMIT_BYTES.
    setImmediate(() => {
      this.#flushScheduled = false;
      const socket = this.#socket;
      if (socket === null || socket.readyState !== WebSocket.OPEN || this.#outbox.length === 0) return;
      const batch = this.#outbox;
      this.#outbox = [];
      for (const { text, from, to } of encodeFrames(batch, FRAME_LIMIT_BYTES)) {
        socket.send(text, (error) => {
          // Not sent: keep it for the next connection (the service drops duplicates).
          if (error) this.#outbox.unshift(...batch.slice(from, to));
        });
      }
    });
  }
}

/** A worker's outcome as the channel's result message (what only the endpoint needs stays here). */
function resultOf(taskId: string, outcome: WorkerOutcome): EndpointResultMessage {
  const message: EndpointResultMessage = 'result' in outcome ? { type: 'result', task_id: taskId, result: outcome.result } : { type: 'result', task_id: taskId, exception: outcome.exception };
  // A generator's result says how many partials it streamed (§11).
  return outcome.partials === undefined ? message : { ...message, partials: outcome.partials };
}
