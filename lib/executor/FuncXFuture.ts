import { Observable } from 'rxjs';
import { ResultTimeout } from '../errors/ResultTimeout.js';
import { TaskCancelled } from '../errors/TaskCancelled.js';
import type { AsyncTask } from '../reactive/AsyncTask.js';
import { taskMarker, type TaskMarker, type TaskReference } from '../reactive/taskRef.js';

/**
 * The eventual result of an executor submission, after Python's `concurrent.futures.Future`:
 * awaitable, with `result()`, `exception()`, `done()`, `cancel()`, done callbacks, and an
 * Observable view. Its task id is known at once (the client chooses it).
 *
 * @example
 * ```ts
 * const future = executor.submit(doubleDelayed, 50);
 * console.log(future.taskId, await future.result()); // "...", 100
 * ```
 */
export class FuncXFuture<T> implements PromiseLike<T>, TaskReference {
  /** The task's id, chosen before it is posted. */
  readonly taskId: string;
  // A plain settle-once record and a list of waiters rather than a Subject: an executor makes one
  // future per task, tens of thousands a second, and these few fields are all it needs.
  #outcome: Outcome<T> | null = null;
  #waiters: ((outcome: Outcome<T>) => void)[] | null = null;
  #task: AsyncTask<unknown, T> | null = null;
  #cancelled = false;
  #promise: Promise<T> | null = null;

  /** Whether the future has its task, or failed before it had one. */
  #isStarted = false;
  /** Made only when a dependant asks ({@link FuncXFuture.started}): most futures are no input. */
  #startedPromise: Promise<void> | null = null;
  #resolveStarted: (() => void) | null = null;

  /** @param taskId - the id its task will have */
  constructor(taskId: string) {
    this.taskId = taskId;
  }

  /** Resolves once the future has its task, or failed before it had one (a dependant waits for it). */
  get started(): Promise<void> {
    this.#startedPromise ??= this.#isStarted ? Promise.resolve() : new Promise((resolve) => (this.#resolveStarted = resolve));
    return this.#startedPromise;
  }

  #started(): void {
    this.#isStarted = true;
    this.#resolveStarted?.();
    this.#resolveStarted = null;
  }

  /**
   * The marker the future serializes as when it is another task's argument: the new task waits
   * on the service for this one and takes its result (docs/protocol-extensions.md §12).
   *
   * @returns `{ "__funcx_rx_task__": taskId }`
   * @example
   * ```ts
   * const four = executor.submit(double, executor.submit(double, 1));
   * ```
   */
  toJSON(): TaskMarker {
    return taskMarker(this.taskId);
  }

  /**
   * Connects the future to its submitted task (the executor calls this once the function is registered).
   *
   * @param task - the task
   * @returns nothing
   * @internal
   */
  attach(task: AsyncTask<unknown, T>): void {
    this.#task = task;
    this.#started();
    // Awaited, not subscribed: a generator's future is its return value, and its partials do not hold it back (§11).
    task.then(
      (value) => this.#settle({ value }),
      (error: unknown) => this.#settle({ error }),
    );
  }

  /**
   * Fails the future before it had a task (registration failed, the executor shut down).
   *
   * @param error - the error
   * @returns nothing
   * @internal
   */
  fail(error: unknown): void {
    this.#started();
    this.#settle({ error });
  }

  /**
   * Whether the task has ended: with a result, an error, or a cancellation.
   *
   * @returns true once settled
   * @example
   * ```ts
   * if (future.done()) console.log('finished');
   * ```
   */
  done(): boolean {
    return this.#outcome !== null;
  }

  /**
   * Whether the future was cancelled.
   *
   * @returns true after a successful `cancel()` or a remote cancellation
   * @example
   * ```ts
   * future.cancel(); future.cancelled(); // true
   * ```
   */
  cancelled(): boolean {
    return this.#cancelled;
  }

  /**
   * Cancels the task: removed from its batch if not yet posted (the future rejects with
   * `TaskCancelled` at once); otherwise cancelled on the service, and the future settles with the
   * service's answer: `TaskCancelled` when the cancel stopped the task, or the task's real outcome
   * when it had already ended (docs/protocol.md §6).
   *
   * @param reason - the `TaskCancelled`'s cause
   * @returns false when the future had already ended, true otherwise
   * @example
   * ```ts
   * future.cancel();
   * ```
   */
  cancel(reason?: unknown): boolean {
    if (this.#outcome !== null) return false;
    if (this.#task) this.#task.cancel(reason);
    else this.#settle({ error: new TaskCancelled(this.taskId, reason === undefined ? undefined : { cause: reason }) });
    return true;
  }

  /**
   * The result, once there is one.
   *
   * @param options - `timeoutMs`: give up waiting (the task goes on) with {@link ResultTimeout}
   * @returns the function's return value
   * @throws the task's error: `TaskExecutionFailed`, `TaskCancelled`, `TaskSubmissionFailed`, ...
   * @example
   * ```ts
   * const value = await future.result({ timeoutMs: 10_000 });
   * ```
   */
  result(options: { timeoutMs?: number } = {}): Promise<T> {
    const { timeoutMs } = options;
    if (timeoutMs === undefined) return this.then();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        stopWaiting();
        reject(new ResultTimeout(this.taskId, timeoutMs));
      }, timeoutMs);
      const stopWaiting = this.#whenSettled((outcome) => {
        clearTimeout(timer);
        if ('value' in outcome) resolve(outcome.value);
        else reject(outcome.error);
      });
    });
  }

  /**
   * The task's error, or null when it succeeded.
   *
   * @returns the error, once the task ended
   * @example
   * ```ts
   * const error = await future.exception();
   * ```
   */
  exception(): Promise<unknown> {
    return this.then(
      () => null,
      (error: unknown) => error,
    );
  }

  /**
   * Calls `callback` with this future when it ends (at once if it has).
   *
   * @param callback - told once
   * @returns nothing
   * @example
   * ```ts
   * future.addDoneCallback((f) => console.log(f.taskId, 'done'));
   * ```
   */
  addDoneCallback(callback: (future: FuncXFuture<T>) => void): void {
    this.#whenSettled(() => callback(this));
  }

  /**
   * The result as an Observable: one value then complete, or the error. Unsubscribing does not
   * cancel the task (use `cancel()`).
   *
   * @returns a view of the outcome
   * @example
   * ```ts
   * future.asObservable().subscribe({ next: console.log, error: console.error });
   * ```
   */
  asObservable(): Observable<T> {
    return new Observable<T>((subscriber) =>
      this.#whenSettled((outcome) => {
        if (!('value' in outcome)) return subscriber.error(outcome.error);
        subscriber.next(outcome.value);
        subscriber.complete();
      }),
    );
  }

  /**
   * Makes the future awaitable.
   *
   * @param onfulfilled - called with the result
   * @param onrejected - called with the error
   * @returns a promise of what the callbacks return
   * @example
   * ```ts
   * const value = await future;
   * ```
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.#promise ??= new Promise<T>((resolve, reject) => {
      this.#whenSettled((outcome) => ('value' in outcome ? resolve(outcome.value) : reject(outcome.error)));
    });
    return this.#promise.then(onfulfilled, onrejected);
  }

  #settle(outcome: Outcome<T>): void {
    if (this.#outcome !== null) return;
    this.#outcome = outcome;
    this.#cancelled = 'error' in outcome && outcome.error instanceof TaskCancelled;
    const waiters = this.#waiters;
    this.#waiters = null;
    if (waiters === null) return;
    for (const waiter of waiters) {
      try {
        waiter(outcome);
      } catch (error) {
        // As an Observable subscriber's would be: reported on its own, never stopping the other waiters.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

  /** Calls `waiter` once settled (at once if it is); returns how to stop waiting. */
  #whenSettled(waiter: (outcome: Outcome<T>) => void): () => void {
    if (this.#outcome !== null) {
      waiter(this.#outcome);
      return () => {};
    }
    (this.#waiters ??= []).push(waiter);
    return () => {
      const i = this.#waiters?.indexOf(waiter) ?? -1;
      if (i >= 0) this.#waiters!.splice(i, 1);
    };
  }
}

/** How a future ended. */
type Outcome<T> = { readonly value: T } | { readonly error: unknown };
