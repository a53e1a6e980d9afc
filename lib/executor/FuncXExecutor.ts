import { Observable, mergeMap, type OperatorFunction } from 'rxjs';
import { v4 as uuidv4 } from 'uuid';
import type { FuncXClient } from '../client/FuncXClient.js';
import type { AnyFunction, FunctionId } from '../client/FunctionId.js';
import { isPythonFunction, type PythonFunction } from '../client/PythonFunction.js';
import { FuncXError } from '../errors/FuncXError.js';
import { CLIENT_DEFAULTS } from '../reactive/defaults.js';
import { orderedMergeMap } from '../reactive/orderedMergeMap.js';
import type { WithTaskReferences } from '../reactive/taskRef.js';
import type { Returns } from '../reactive/TaskValues.js';
import { FuncXFuture } from './FuncXFuture.js';
import type { FuncXExecutorOptions, MapOptions, SubmitOptions } from './FuncXExecutorOptions.js';

/**
 * Runs functions on funcX endpoints and hands back futures, after Python's
 * `concurrent.futures.Executor` and funcX's `FuncXExecutor`. Built on the asynchronous client:
 * submissions are batched, results arrive over one shared WebSocket, and each function is
 * registered once.
 *
 * @example
 * ```ts
 * import { FuncXClient, FuncXExecutor } from 'funcx-rx';
 * const executor = new FuncXExecutor(new FuncXClient(), { endpointId });
 * const future = executor.submit(doubleDelayed, 50);
 * console.log(await future.result()); // 100
 * await executor.shutdown();
 * ```
 */
export class FuncXExecutor {
  readonly #registrar: FuncXClient<boolean>;
  readonly #client: FuncXClient<true>;
  readonly #endpointId: string | undefined;
  readonly #functions = new WeakMap<AnyFunction | PythonFunction, Promise<FunctionId>>();
  /** The functions whose registration has succeeded. */
  readonly #registered = new WeakMap<AnyFunction | PythonFunction, FunctionId>();
  readonly #pending = new Set<FuncXFuture<unknown>>();
  #shutdown = false;

  /**
   * @param client - any funcX client; the executor makes an asynchronous one with its batching from it
   * @param options - default endpoint and batching
   * @throws TypeError for a batching option out of range
   */
  constructor(client: FuncXClient<boolean>, options: FuncXExecutorOptions = {}) {
    this.#registrar = client;
    this.#endpointId = options.endpointId;
    const batchEnabled = options.batchEnabled ?? true;
    this.#client = client.withOptions({
      asynchronous: true,
      batchInterval: batchEnabled ? (options.batchInterval ?? CLIENT_DEFAULTS.batchInterval) : 0,
      batchSize: options.batchSize ?? CLIENT_DEFAULTS.batchSize,
    });
  }

  /** The asynchronous client the executor submits through (for its counters). */
  get client(): FuncXClient<true> {
    return this.#client;
  }

  /**
   * Submits a call. The function is registered on its first submission and reused after.
   *
   * @param fn - a self-contained function, or a Python function (see `registerFunction`)
   * @param args - its arguments (JSON data); a `FuncXFuture` (or any task reference) anywhere in them stands for its result: the task waits on the service until that one has succeeded
   * @returns a future of its result
   * @throws {@link FuncXError} after `shutdown()`; TypeError when no endpoint is known
   * @example
   * ```ts
   * const future = executor.submit(doubleDelayed, 50);
   * const four = executor.submit(double, executor.submit(double, 1)); // runs after its input, on its result
   * const other = executor.submit({ endpointId: gpuEndpoint }, train, config);
   * const py = executor.submit(python<(x: number) => number>`def double(x): return x * 2`, 50);
   * ```
   */
  submit<F extends AnyFunction>(fn: F | PythonFunction<F>, ...args: WithTaskReferences<Parameters<F>>): FuncXFuture<Returns<ReturnType<F>>>;
  submit<F extends AnyFunction>(options: SubmitOptions, fn: F | PythonFunction<F>, ...args: WithTaskReferences<Parameters<F>>): FuncXFuture<Returns<ReturnType<F>>>;
  submit(...input: unknown[]): FuncXFuture<unknown> {
    const [options, fn, args] =
      typeof input[0] === 'function' || isPythonFunction(input[0])
        ? [{} as SubmitOptions, input[0] as AnyFunction | PythonFunction, input.slice(1)]
        : [(input[0] ?? {}) as SubmitOptions, input[1] as AnyFunction | PythonFunction, input.slice(2)];
    if (this.#shutdown) throw new FuncXError('Cannot submit: the executor was shut down');
    if (typeof fn !== 'function' && !isPythonFunction(fn)) throw new TypeError(`Expected a function to submit, got \`${String(fn)}\` (${typeof fn})`);
    const endpointId = options.endpointId ?? this.#endpointId;
    if (endpointId === undefined) throw new TypeError('Expected `endpointId` in the executor options or the call, got nothing');

    const future = new FuncXFuture<unknown>(uuidv4());
    this.#pending.add(future);
    future.addDoneCallback(() => this.#pending.delete(future));
    const start = (functionId: FunctionId): void => {
      if (future.done()) return;
      try {
        const target = { functionId, endpointId, taskId: future.taskId, ...(options.kwargs ? { kwargs: options.kwargs } : {}), ...(options.signal ? { signal: options.signal } : {}) };
        future.attach(this.#client.run(target, ...(args as never[])));
      } catch (error) {
        future.fail(error);
      }
    };
    // A future given as an argument is an input (docs/protocol-extensions.md §12): its task must
    // be submitted first, so this one waits until every such future has its task.
    const inputs = futuresIn([args, options.kwargs]).filter((f) => f !== future);
    const ready = inputs.length === 0 ? null : Promise.all(inputs.map((f) => f.started));
    // A function registered already starts its task now, in this call, rather than a microtask later.
    const registered = this.#registered.get(fn);
    if (registered !== undefined && ready === null) start(registered);
    else Promise.all([registered ?? this.#register(fn), ready]).then(([id]) => start(id), (error: unknown) => future.fail(error));
    return future;
  }

  /**
   * An operator that runs `fn` remotely on each input, with at most `concurrency` calls
   * outstanding, emitting results in input order or as they complete. Unsubscribing cancels the
   * calls still outstanding.
   *
   * @param fn - a self-contained function of one argument, or a Python function
   * @param options - endpoint, concurrency, order
   * @returns an operator from inputs to results
   * @example
   * ```ts
   * from([1, 2, 3]).pipe(executor.map(doubleDelayed, { concurrency: 2 })).subscribe(console.log); // 2, 4, 6
   * ```
   */
  map<F extends (input: never) => unknown>(fn: F | PythonFunction<F & AnyFunction>, options: MapOptions = {}): OperatorFunction<Parameters<F>[0], Awaited<ReturnType<F>>> {
    const concurrency = options.concurrency ?? Infinity;
    const call = (input: Parameters<F>[0]): Observable<Awaited<ReturnType<F>>> =>
      new Observable((subscriber) => {
        const submitOptions = options.endpointId === undefined ? {} : { endpointId: options.endpointId };
        const future = this.submit(submitOptions, fn as unknown as AnyFunction, input) as FuncXFuture<Awaited<ReturnType<F>>>;
        const inner = future.asObservable().subscribe(subscriber);
        return () => {
          inner.unsubscribe();
          future.cancel();
        };
      });
    return options.order === 'completion' ? mergeMap(call, concurrency) : orderedMergeMap(call, concurrency);
  }

  /**
   * Stops accepting submissions, then waits for the outstanding ones or cancels them. Afterwards
   * the executor holds no socket or timer.
   *
   * @param options - `wait`: resolve only when every future has ended (default true);
   *   `cancelFutures`: cancel the futures not yet ended (default false)
   * @returns when done as asked
   * @example
   * ```ts
   * await executor.shutdown({ cancelFutures: true });
   * ```
   */
  async shutdown(options: { wait?: boolean; cancelFutures?: boolean } = {}): Promise<void> {
    this.#shutdown = true;
    const pending = [...this.#pending];
    if (options.cancelFutures) for (const future of pending) future.cancel(new FuncXError('The executor was shut down'));
    if (options.wait ?? true) {
      await Promise.allSettled(pending);
      await this.#client.close();
    }
  }

  #register(fn: AnyFunction | PythonFunction): Promise<FunctionId> {
    let id = this.#functions.get(fn);
    if (id === undefined) {
      id = this.#registrar.registerFunction(fn);
      this.#functions.set(fn, id);
      // A failed registration is not cached, so the next submission tries again.
      id.then((functionId) => this.#registered.set(fn, functionId), () => this.#functions.delete(fn));
    }
    return id;
  }
}

/** The futures anywhere in arguments (nested arrays and plain objects), as JSON would reach them. */
function futuresIn(value: unknown, out: FuncXFuture<unknown>[] = []): FuncXFuture<unknown>[] {
  if (value instanceof FuncXFuture) out.push(value as FuncXFuture<unknown>);
  else if (Array.isArray(value)) for (const item of value) futuresIn(item, out);
  else if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) for (const item of Object.values(value)) futuresIn(item, out);
  return out;
}
