import { firstValueFrom, toArray } from 'rxjs';
import { v4 as uuidv4 } from 'uuid';
import { defaultMakeWebSocket } from '#websocket';
import { FuncXError } from '../errors/FuncXError.js';
import { TaskPending } from '../errors/TaskPending.js';
import { TaskSubmissionFailed } from '../errors/TaskSubmissionFailed.js';
import type { RegisterFunctionResponse, EndpointStatusResponse, SubmitRequest, SubmitTask, VersionResponse } from '../protocol/submit.js';
import type { PartialsPage, TaskRecord } from '../protocol/task.js';
import type { Returns, Yields } from '../reactive/TaskValues.js';
import { deserialize } from '../serialize/serialize.js';
import { AsyncSession } from '../reactive/AsyncSession.js';
import type { AsyncTask } from '../reactive/AsyncTask.js';
import { CLIENT_DEFAULTS } from '../reactive/defaults.js';
import { frameToSettlement } from '../reactive/frameToSettlement.js';
import { lookupStatuses } from '../reactive/lookupStatuses.js';
import { retryIdempotent, type RetryPolicy } from '../reactive/retryIdempotent.js';
import type { ServiceApi } from '../reactive/ServiceApi.js';
import { pack } from '../serialize/pack.js';
import type { WithTaskReferences } from '../reactive/taskRef.js';
import { packPayload, serializeFunction, serializeFunctionSource, serializePythonSource, type FunctionSource } from '../serialize/serialize.js';
import { Batch } from './Batch.js';
import type { BatchResultEntry } from './BatchResult.js';
import type { FuncXClientOptions } from './FuncXClientOptions.js';
import type { AnyFunction, FunctionId } from './FunctionId.js';
import { HttpApi } from './HttpApi.js';
import { httpServiceApi } from './httpServiceApi.js';
import { checkPythonFunction, isPythonFunction, type PythonFunction, type PythonSignature } from './PythonFunction.js';
import { resolveConnection, type ResolvedConnection } from './resolveConnection.js';
import type { RunTarget } from './RunTarget.js';

/** What `run` returns: the task id for the polling client, an awaitable Observable for the asynchronous one. */
export type RunResult<Async extends boolean, V> = Async extends true ? AsyncTask<Yields<V>, Returns<V>> : Promise<string>;

/**
 * The funcX client: registers functions, runs them on endpoints, and fetches results.
 *
 * The polling client (the default) mirrors funcX's "existing model": `run` returns a task id
 * and `getResult` throws {@link TaskPending} until the task ends. The asynchronous client
 * (`asynchronous: true`) batches submissions and returns, from `run`, an {@link AsyncTask}:
 * an Observable of the result that is also awaitable, delivered over one WebSocket that is open
 * exactly while tasks are outstanding.
 *
 * @example
 * ```ts
 * import { FuncXClient, TaskPending } from 'funcx-rx';
 * const fxc = new FuncXClient({ serviceUrl, token });
 * const functionId = await fxc.registerFunction(doubleDelayed);
 * const taskId = await fxc.run({ functionId, endpointId }, 50);
 * // later: await fxc.getResult(taskId) → 100, or TaskPending while it runs
 * ```
 */
export class FuncXClient<Async extends boolean = false> {
  /** Whether `run` returns awaitable Observables rather than task ids. */
  readonly asynchronous: Async;
  /** The task group this client submits into. */
  readonly taskGroupId: string;
  /** The resolved service URL (without `/v2`). */
  readonly serviceUrl: string;
  readonly #api: HttpApi;
  readonly #service: ServiceApi;
  readonly #retry: RetryPolicy;
  readonly #connection: ResolvedConnection;
  readonly #options: FuncXClientOptions<Async>;
  #session: AsyncSession | null = null;
  /** The SIGINT/SIGTERM handler of `cancelOnSignal`; close() removes it. */
  #onSignal: ((signal: string) => void) | null = null;

  /**
   * @param options - where the service is, who the user is, and how to batch; see {@link FuncXClientOptions}
   * @throws TypeError when no service URL or token can be found, or an option is out of range
   */
  constructor(options: FuncXClientOptions<Async> = {}) {
    this.#connection = resolveConnection(options);
    this.#options = options;
    this.asynchronous = (options.asynchronous ?? false) as Async;
    this.serviceUrl = this.#connection.serviceUrl;
    this.taskGroupId = options.taskGroupId ?? uuidv4();
    checkNumber('batchInterval', options.batchInterval, 0);
    checkNumber('batchSize', options.batchSize, 1);
    checkNumber('submitRetries', options.submitRetries, 0);
    checkNumber('submitTimeoutMs', options.submitTimeoutMs, 1);
    checkNumber('submitDeadlineMs', options.submitDeadlineMs, 0);
    checkNumber('socketLingerMs', options.socketLingerMs, 0);
    checkNumber('idleSweepMs', options.idleSweepMs, 1);
    this.#api = new HttpApi(this.#connection.apiUrl, this.#connection.token, options.fetch);
    this.#service = httpServiceApi(this.#api);
    this.#retry = {
      deadlineMs: options.submitDeadlineMs ?? CLIENT_DEFAULTS.submitDeadlineMs,
      attemptTimeoutMs: options.submitTimeoutMs ?? CLIENT_DEFAULTS.submitTimeoutMs,
      retries: options.submitRetries ?? CLIENT_DEFAULTS.submitRetries,
      backoff: options.reconnect,
      scheduler: options.scheduler,
    };
    if (options.cancelOnSignal) this.#cancelOnSignal();
  }

  #cancelOnSignal(): void {
    // Looked up on globalThis: browsers have no process, and bundlers must not see one.
    const node = (globalThis as { process?: { on?: (s: string, f: (s: string) => void) => void; off(s: string, f: (s: string) => void): void; kill(pid: number, s: string): void; pid: number } }).process;
    if (typeof node?.on !== 'function') return;
    const onSignal = (signal: string): void => {
      this.#removeSignalHandlers();
      let timer: ReturnType<typeof setTimeout> | undefined;
      // A service that does not answer must not hold the process past the user's Ctrl-C for long.
      const bounded = new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000)));
      void Promise.race([this.#session?.close({ cancel: true }), bounded]).finally(() => {
        clearTimeout(timer);
        node.kill(node.pid, signal);
      });
    };
    this.#onSignal = onSignal;
    node.on('SIGINT', onSignal);
    node.on('SIGTERM', onSignal);
  }

  #removeSignalHandlers(): void {
    const node = (globalThis as { process?: { off(s: string, f: (s: string) => void): void } }).process;
    if (this.#onSignal === null || node === undefined) return;
    node.off('SIGINT', this.#onSignal);
    node.off('SIGTERM', this.#onSignal);
    this.#onSignal = null;
  }

  /**
   * The asynchronous engine, made on first use so a polling client never builds it.
   *
   * @returns the session
   */
  get #async(): AsyncSession {
    this.#session ??= new AsyncSession({
      taskGroupId: this.taskGroupId,
      resultSocketUrl: this.#connection.resultSocketUrl,
      token: this.#connection.token,
      makeWebSocket: this.#options.makeWebSocket ?? defaultMakeWebSocket,
      api: this.#service,
      batchInterval: this.#options.batchInterval ?? CLIENT_DEFAULTS.batchInterval,
      batchSize: this.#options.batchSize ?? CLIENT_DEFAULTS.batchSize,
      retry: this.#retry,
      reconnect: this.#options.reconnect,
      socketLingerMs: this.#options.socketLingerMs ?? CLIENT_DEFAULTS.socketLingerMs,
      idleSweepMs: this.#options.idleSweepMs ?? CLIENT_DEFAULTS.idleSweepMs,
      scheduler: this.#options.scheduler,
    });
    return this.#session;
  }

  /**
   * A new client with this one's options and some replaced: another task group, batching, or
   * the asynchronous mode. The two share nothing at run time.
   *
   * @param overrides - the options to replace
   * @returns the new client
   * @example
   * ```ts
   * const asyncFxc = fxc.withOptions({ asynchronous: true, batchInterval: 1000 });
   * ```
   */
  withOptions<A extends boolean = Async>(overrides: FuncXClientOptions<A>): FuncXClient<A> {
    const { taskGroupId: _ownGroup, ...inherited } = this.#options;
    return new FuncXClient<A>({ ...(inherited as FuncXClientOptions<A>), serviceUrl: this.serviceUrl, token: this.#connection.token, ...overrides });
  }

  /**
   * The service's version (`GET /v2/version`).
   *
   * @returns the API version and the oldest SDK and endpoint versions it accepts
   * @example
   * ```ts
   * (await fxc.version()).api; // "0.1.0"
   * ```
   */
  async version(): Promise<VersionResponse> {
    return (await this.#api.get<VersionResponse>('/version')).body;
  }

  /**
   * Registers a function, sent as its source text.
   *
   * A JavaScript function must be self-contained: it runs in a worker far from the variables
   * around it, and may `await import()` what it needs. A function that a build rewrote to call
   * the bundle's helpers (an async function lowered to `__async(...)` for zone.js, say) is
   * refused: give its source text instead, as `{ name, source }`, which no bundler changes, or
   * register it once on the server side (or with `funcx-rx function register <file>`) and run it
   * by id.
   *
   * A Python function (from the {@link python} tag or `{ language: 'python', name, source }`) is
   * stored as Globus Compute's PureSourceTextInspect (`st`), exactly as the Python SDK would send
   * it, and runs on the endpoint's Python workers.
   *
   * @param fn - a plain, arrow, async or method-shorthand function, or a Python function
   * @param options - `description`: stored with it
   * @returns the function's id, typed with the function (for Python, with the signature given to {@link python})
   * @throws {@link SerializationError} for native or bound functions, classes, functions a build rewrote, and Python without a name; {@link ServiceError} from the service
   * @example
   * ```ts
   * const functionId = await fxc.registerFunction(async (x: number) => x * 2);
   * const pyId = await fxc.registerFunction(python<(x: number) => number>`def double(x): return x * 2`);
   * ```
   */
  registerFunction<F extends AnyFunction = PythonSignature>(fn: PythonFunction<F>, options?: { description?: string }): Promise<FunctionId<F>>;
  registerFunction<F extends AnyFunction>(fn: F, options?: { description?: string }): Promise<FunctionId<F>>;
  /**
   * Registers a JavaScript function given as source text: one self-contained function
   * expression. Name the function's type to have `run` check its arguments and type its result.
   *
   * @param fn - `name`: how it is listed; `source`: such as `'async (x) => x * 2'`
   * @param options - `description`: stored with it
   * @returns the function's id
   * @throws {@link SerializationError} when `name` or `source` is missing; {@link ServiceError} from the service
   * @example
   * ```ts
   * const functionId = await fxc.registerFunction<(x: number) => number>({ name: 'double', source: '(x) => x * 2' });
   * ```
   */
  registerFunction<F extends AnyFunction = AnyFunction>(fn: FunctionSource, options?: { description?: string }): Promise<FunctionId<F>>;
  registerFunction<F extends AnyFunction>(fn: F | FunctionSource | PythonFunction<F>, options?: { description?: string }): Promise<FunctionId<F>>;
  async registerFunction<F extends AnyFunction>(fn: F | FunctionSource | PythonFunction<F>, options: { description?: string } = {}): Promise<FunctionId<F>> {
    let code: string;
    let name: string;
    let source: string;
    if (isPythonFunction(fn)) {
      ({ name, source } = checkPythonFunction(fn));
      code = serializePythonSource(name, source);
    } else if (typeof fn === 'function') {
      code = serializeFunction(fn);
      name = fn.name || 'anonymous';
      source = Function.prototype.toString.call(fn);
    } else {
      code = serializeFunctionSource(fn);
      name = fn.name || 'anonymous';
      source = fn.source;
    }
    const { body } = await this.#api.post<RegisterFunctionResponse>('/functions', {
      function_name: name,
      entry_point: name,
      function_code: pack([code]),
      function_source: source,
      description: options.description ?? '',
    });
    return body.function_uuid as FunctionId<F>;
  }

  /**
   * Runs a registered function on an endpoint.
   *
   * The polling client posts at once and resolves to the task id. The asynchronous client
   * queues the task for the next batch and returns an {@link AsyncTask} at once: await it for
   * the result, subscribe to it, or cancel it.
   *
   * An argument (or kwarg, anywhere in them) that is a task reference — an {@link AsyncTask},
   * a `FuncXFuture`, or `taskRef(taskId)` — stands for that task's result: the new task waits on
   * the service (`waiting-for-deps`) until the input has succeeded, and runs with its result in
   * place, without a round trip through the client; it fails with `DependencyFailed` when the
   * input does not succeed (docs/protocol-extensions.md §12).
   *
   * @param target - function, endpoint, keyword arguments, abort signal
   * @param args - the positional arguments (JSON data, or task references)
   * @returns the task id (polling) or the task (asynchronous)
   * @throws {@link SerializationError} at once when an argument is not JSON data
   * @example
   * ```ts
   * const taskId = await fxc.run({ functionId, endpointId }, 50);          // polling client
   * const result = await asyncFxc.run({ functionId, endpointId }, 50);    // asynchronous client: 100
   * const eight = await asyncFxc.run(target, asyncFxc.run(target, asyncFxc.run(target, 1))); // double(double(double(1)))
   * ```
   */
  run<F extends AnyFunction>(target: RunTarget<F>, ...args: WithTaskReferences<Parameters<F>>): RunResult<Async, ReturnType<F>> {
    const inputs = new Set<string>();
    const payload = packPayload(args, target.kwargs, inputs);
    if (this.asynchronous) {
      return this.#async.submit(target.functionId, target.endpointId, payload, target.signal, target.taskId, [...inputs]) as RunResult<Async, ReturnType<F>>;
    }
    const taskId = (target.taskId ?? uuidv4()).toLowerCase();
    const task: SubmitTask = [target.functionId, target.endpointId, payload, taskId];
    return this.#submitNow([task], this.taskGroupId, inputs.size === 0 ? undefined : { [taskId]: [...inputs] }).then((ids) => ids[0]!) as RunResult<Async, ReturnType<F>>;
  }

  /**
   * Follows tasks by id with the asynchronous machinery, however they were submitted: after a
   * reload, from another process, or from `batchRun`. Finished tasks settle at once.
   *
   * @param taskIds - the tasks
   * @param taskGroupId - their group, whose results the socket subscribes
   * @returns one awaitable Observable per task, in order
   * @example
   * ```ts
   * const [task] = fxc.watch([taskId], groupId);
   * console.log(await task);
   * ```
   */
  watch<T = unknown>(taskIds: readonly string[], taskGroupId: string = this.taskGroupId): AsyncTask<T>[] {
    return this.#async.watch<T>(taskGroupId, taskIds);
  }

  /**
   * Reattaches to a task group by id (`GET /v2/task_groups/<id>/tasks`): one awaitable
   * Observable per task of the group, in submit order. For a new process picking up work that an
   * earlier one submitted.
   *
   * @param taskGroupId - the group
   * @returns its tasks
   * @throws {@link ServiceError} for an unknown group (404, code 20) or another user's (403, code 21)
   * @example
   * ```ts
   * const tasks = await fxc.reattach(groupId);
   * for (const task of tasks) console.log(await task);
   * ```
   */
  async reattach<T = unknown>(taskGroupId: string): Promise<AsyncTask<T>[]> {
    const { body } = await this.#api.get<{ task_ids: string[] }>(`/task_groups/${encodeURIComponent(taskGroupId)}/tasks`);
    return this.watch<T>(body.task_ids, taskGroupId);
  }

  /**
   * A task's record as the service has it (`GET /v2/tasks/<id>`).
   *
   * @param taskId - the task
   * @returns its status, completion time and serialized result or exception
   * @throws {@link ServiceError} for an unknown or invisible task (404, code 6)
   * @example
   * ```ts
   * (await fxc.getTask(taskId)).status; // "running"
   * ```
   */
  async getTask(taskId: string): Promise<TaskRecord> {
    return (await this.#api.get<TaskRecord>(`/tasks/${encodeURIComponent(taskId)}`)).body;
  }

  /**
   * A generator task's partial results by index (docs/protocol-extensions.md §11), for polling:
   * the values the service still holds from index `from` on (at most 1,000 a call). Reading them
   * acknowledges them, so a generator paused for its readers goes on.
   *
   * @param taskId - the task
   * @param options - `from`: the first index wanted (default 0); `limit`: at most this many (default and most 1,000)
   * @returns `first` (the index of `values[0]`, above `from` when older ones are gone), `count`
   *   (heard so far), `total` (yielded in all once the task ended, else null), and the values
   * @throws {@link ServiceError} for an unknown or invisible task (404, code 6)
   * @example
   * ```ts
   * let from = 0;
   * const page = await fxc.getPartials(taskId, { from });
   * from = page.first + page.values.length;
   * ```
   */
  async getPartials(taskId: string, options: { from?: number; limit?: number } = {}): Promise<{ first: number; count: number; total: number | null; values: unknown[] }> {
    const query = `from=${options.from ?? 0}${options.limit === undefined ? '' : `&limit=${options.limit}`}`;
    const page = (await this.#api.get<PartialsPage>(`/tasks/${encodeURIComponent(taskId)}/partials?${query}`)).body;
    return { first: page.first, count: page.count, total: page.total, values: page.partials.map((value) => deserialize(value)) };
  }

  /**
   * A task's result, funcX-style: the value when it succeeded, or an error.
   *
   * @param taskId - the task
   * @returns the function's (deserialized) return value
   * @throws {@link TaskPending} while it has not ended; {@link TaskExecutionFailed} when it threw; {@link TaskCancelled} when cancelled; {@link ServiceError} when unknown
   * @example
   * ```ts
   * try { console.log(await fxc.getResult(taskId)); } catch (e) { if (e instanceof TaskPending) console.log('Task pending'); }
   * ```
   */
  async getResult(taskId: string): Promise<unknown> {
    const record = await this.getTask(taskId);
    const outcome = frameToSettlement(record);
    if (outcome === null) throw new TaskPending(taskId, record.status);
    if ('error' in outcome.settlement) throw outcome.settlement.error;
    return outcome.settlement.value;
  }

  /**
   * Several tasks' results at once (`POST /v2/batch_status`, 1024 ids a request).
   *
   * @param taskIds - the tasks
   * @returns per task: pending with its status, or its result, or its error
   * @throws {@link ServiceError} for a malformed request
   * @example
   * ```ts
   * const results = await fxc.getBatchResult(taskIds);
   * for (const [id, entry] of Object.entries(results)) if (!entry.pending && entry.status === 'success') console.log(id, entry.result);
   * ```
   */
  async getBatchResult(taskIds: readonly string[]): Promise<Record<string, BatchResultEntry>> {
    const out: Record<string, BatchResultEntry> = {};
    const records = await firstValueFrom(lookupStatuses(this.#service, taskIds, this.#retry).pipe(toArray()));
    records.forEach((record, i) => {
      const id = taskIds[i]!;
      const outcome = frameToSettlement(record);
      const completionTime = 'completion_t' in record ? Number(record.completion_t) : NaN;
      if (outcome === null) out[id] = { pending: true, status: record.status as TaskRecord['status'] };
      else if ('value' in outcome.settlement) out[id] = { pending: false, status: 'success', result: outcome.settlement.value, completionTime };
      else {
        const status = outcome.status === 'cancelled' ? 'cancelled' : 'failed';
        out[id] = { pending: false, status, error: outcome.settlement.error as FuncXError, completionTime };
      }
    });
    return out;
  }

  /**
   * Whether an endpoint is connected (`GET /v2/endpoints/<id>/status`).
   *
   * @param endpointId - the endpoint
   * @returns `online` or `offline`, and its logs
   * @throws {@link ServiceError} for an unknown endpoint (404, code 4) or another user's (403, code 9)
   * @example
   * ```ts
   * (await fxc.getEndpointStatus(endpointId)).status; // "online"
   * ```
   */
  async getEndpointStatus(endpointId: string): Promise<EndpointStatusResponse> {
    return (await this.#api.get<EndpointStatusResponse>(`/endpoints/${encodeURIComponent(endpointId)}/status`)).body;
  }

  /**
   * Starts a batch of calls to submit together, as funcX's `create_batch`.
   *
   * @param taskGroupId - the group for its tasks; this client's group by default
   * @returns an empty batch
   * @example
   * ```ts
   * const batch = fxc.createBatch();
   * batch.add({ functionId, endpointId }, 1).add({ functionId, endpointId }, 2);
   * ```
   */
  createBatch(taskGroupId?: string): Batch {
    return new Batch(taskGroupId);
  }

  /**
   * Submits a batch in one request (a body over the service's limit, 5 MB by default, is refused
   * with code 101).
   *
   * @param batch - the calls
   * @returns the task ids, in the batch's order
   * @throws {@link TaskSubmissionFailed} naming the first task the service refused
   * @example
   * ```ts
   * const taskIds = await fxc.batchRun(batch);
   * ```
   */
  async batchRun(batch: Batch): Promise<string[]> {
    const tasks = batch.toTasks().map(([f, e, p]) => [f, e, p, uuidv4()] as const);
    const dependencies: Record<string, readonly string[]> = {};
    batch.inputs().forEach((inputs, i) => {
      if (inputs.length > 0) dependencies[tasks[i]![3]] = inputs;
    });
    return this.#submitNow(tasks, batch.taskGroupId ?? this.taskGroupId, Object.keys(dependencies).length > 0 ? dependencies : undefined);
  }

  /**
   * Cancels a task on the service (a funcx-rx extension): a waiting task never runs, a running
   * one's worker is stopped. An ended task is left as it is.
   *
   * @param taskId - the task
   * @returns its record after the call (`status` is `cancelled` unless it had already ended)
   * @throws {@link ServiceError} for an unknown or invisible task
   * @example
   * ```ts
   * (await fxc.cancel(taskId)).status; // "cancelled"
   * ```
   */
  async cancel(taskId: string): Promise<TaskRecord> {
    return (await this.#api.post<TaskRecord>(`/tasks/${encodeURIComponent(taskId)}/cancel`, {})).body;
  }

  /**
   * Ends the client's asynchronous work: waits for outstanding tasks to settle (or cancels them),
   * after which no socket or timer of this client is left.
   *
   * @param options - `cancel`: cancel outstanding tasks instead of waiting for them
   * @returns when nothing is outstanding
   * @example
   * ```ts
   * await fxc.close({ cancel: true });
   * ```
   */
  async close(options: { cancel?: boolean } = {}): Promise<void> {
    this.#removeSignalHandlers();
    await this.#session?.close(options);
  }

  /** The asynchronous engine's counters, for tests and monitoring. */
  get stats(): { outstanding: number; posts: number; socketOpens: number } {
    const session = this.#session;
    return { outstanding: session?.outstanding ?? 0, posts: session?.posts ?? 0, socketOpens: session?.socketOpens ?? 0 };
  }

  async #submitNow(tasks: readonly SubmitTask[], taskGroupId: string, dependencies?: Readonly<Record<string, readonly string[]>>): Promise<string[]> {
    const request: SubmitRequest = { task_group_id: taskGroupId, tasks, ...(dependencies ? { dependencies } : {}) };
    const response = await firstValueFrom(retryIdempotent('POST /submit', (signal) => this.#service.submit(request, signal), this.#retry));
    return response.results.map((answer, i) => {
      if (answer.status === 'Success') return answer.task_uuid;
      throw new TaskSubmissionFailed(answer.task_uuid ?? String(tasks[i]?.[3]), answer.reason, { code: answer.code });
    });
  }
}

function checkNumber(name: string, value: number | undefined, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`Expected \`${name}\` to be a number from ${min} and up, got \`${String(value)}\` (${typeof value})`);
  }
}
