import { Observable, defer } from 'rxjs';
import type { ClientTaskStatus, TaskState } from './TaskState.js';
import type { PartialInbox } from './PartialInbox.js';
import { taskMarker, type TaskMarker, type TaskReference } from './taskRef.js';

/** What an {@link AsyncTask} asks of the client that made it. */
export interface TaskControl {
  /** Cancels the task everywhere it may be: the batch buffer, the service, a worker. */
  cancel(state: TaskState, reason?: unknown): void;
  /** Asks the service to push status changes. */
  watchStatuses(): void;
  /** The task's partial results (made on first use), acknowledged to the service as they are taken. */
  partialsOf(state: TaskState): PartialInbox;
}

/**
 * A submitted task's result, both as an Observable (one value, then complete; or an error) and
 * as a promise: `await fxc.run(...)` gives the value. The task was submitted when `run` returned;
 * subscribing or awaiting only listens, and late listeners still get the result.
 *
 * Unsubscribing every subscriber before the result arrives cancels the task, as unsubscribing
 * cancels an HTTP request in RxJS: a `timeout()`, `takeUntil()` or `switchMap` upstream stops
 * remote work. Awaiting is a listener that never unsubscribes.
 *
 * **Being awaitable has a cost: anything that looks for `then` sees a Promise.** Returned from an
 * `async` function, or resolved by `Promise.resolve`, the task is unwrapped into its result, and
 * `taskId`, `status$` and `cancel` are gone; Angular's `async` pipe subscribes to it as a Promise,
 * so leaving the view does not cancel it. Hand out one of the explicit views instead:
 * {@link AsyncTask.asObservable} (a plain Observable: `async` pipe, `toSignal`, RxJS operators; the
 * last unsubscribe cancels) or {@link AsyncTask.asPromise} (a plain Promise of the result), and
 * return the task itself from `async` code wrapped in an object (`return { task }`).
 *
 * @example
 * ```ts
 * const task = fxc.run({ functionId, endpointId }, 50);
 * task.status$.subscribe((s) => console.log(s)); // queued, waiting-for-ep, ..., running, success
 * console.log(await task); // 100
 * ```
 */
export class AsyncTask<T, R = T> extends Observable<T> implements PromiseLike<R>, TaskReference {
  /** The task's id, chosen by the client before it was posted. */
  readonly taskId: string;
  readonly #state: TaskState<R>;
  readonly #control: TaskControl;
  #promise: Promise<R> | null = null;

  /**
   * @param state - the client's record of the task
   * @param control - how to cancel it and ask for statuses
   */
  constructor(state: TaskState<R>, control: TaskControl) {
    let subscribers = 0;
    super((subscriber) => {
      subscribers++;
      // A generator's partials first, each as it comes; then its end (§11). A plain task's one value.
      const detach = state.settled && state.partials === null ? null : control.partialsOf(state as TaskState).attach((value) => subscriber.next(value as T));
      const inner = state.outcome.subscribe({
        next: (value) => {
          // A plain task's result is its one value (T is R for a plain function).
          if (!state.generator) subscriber.next(value as unknown as T);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        detach?.();
        inner.unsubscribe();
        if (--subscribers === 0 && !state.settled) control.cancel(state as TaskState);
      };
    });
    this.taskId = state.taskId;
    this.#state = state;
    this.#control = control;
  }

  /** The task's statuses, from the latest; completes when the task ends. */
  get status$(): Observable<ClientTaskStatus> {
    // Made when asked for: most tasks are only awaited, and an executor makes tens of thousands a second.
    return defer(() => {
      this.#control.watchStatuses();
      return this.#state.status$;
    });
  }

  /** The latest status. */
  get status(): ClientTaskStatus {
    return this.#state.status;
  }

  /** Whether the task has ended. */
  get settled(): boolean {
    return this.#state.settled;
  }

  /**
   * Cancels the task. If it is still in the batch buffer it leaves it and errors with
   * `TaskCancelled` at once. Otherwise it is cancelled on the service (a waiting task never
   * starts, a running worker is stopped), and settles with the service's answer: `TaskCancelled`
   * when the cancel stopped it, or its real outcome when it had already ended, so the user sees
   * what the service recorded (docs/protocol.md §6). No effect once the task has ended.
   *
   * @param reason - becomes the `TaskCancelled`'s `cause`
   * @returns nothing
   * @example
   * ```ts
   * task.cancel(new Error('no longer needed'));
   * ```
   */
  cancel(reason?: unknown): void {
    this.#control.cancel(this.#state as TaskState, reason);
  }

  /**
   * The task as a plain Observable, which nothing mistakes for a Promise: for Angular's `async`
   * pipe, `toSignal`, and anything else that checks for `then` first. Unsubscribing its last
   * subscriber (the view is destroyed, `switchMap` moves on) before the result cancels the task,
   * as with the task itself.
   *
   * @returns an Observable of the result: one value then complete, or the task's error
   * @example
   * ```ts
   * // In a component: the async pipe unsubscribes on destroy, which cancels the task.
   * readonly result$ = this.fxc.run({ functionId, endpointId }, 50).asObservable();
   * ```
   */
  asObservable(): Observable<T> {
    return new Observable<T>((subscriber) => this.subscribe(subscriber));
  }

  /**
   * A generator task's partial results as an async iterator that sets the pace (§11): each
   * `next()` takes one value, and the generator on its endpoint runs only as far ahead as the
   * service's window (`maxUnreadPartials`), so a reader that stops pulling pauses it. It ends
   * when the task ends (its return value is the task's result: `await task`), and throws the
   * task's error. While one is open, the task's Observable subscribers get each value as it is
   * pulled. For a plain task it ends, empty, with the task.
   *
   * @returns an async iterator of the yielded values
   * @example
   * ```ts
   * for await (const frame of fxc.run(target, 100_000).partials()) await draw(frame);
   * ```
   */
  partials(): AsyncIterableIterator<T> {
    return this.#control.partialsOf(this.#state as TaskState).pull() as AsyncIterableIterator<T>;
  }

  /**
   * The marker the task serializes as when it is another task's argument: passed to `run`, the
   * new task waits on the service for this one and takes its result (docs/protocol-extensions.md §12).
   *
   * @returns `{ "__funcx_rx_task__": taskId }`
   * @example
   * ```ts
   * const eight = await fxc.run(target, fxc.run(target, fxc.run(target, 1))); // double(double(double(1)))
   * ```
   */
  toJSON(): TaskMarker {
    return taskMarker(this.taskId);
  }

  /**
   * The task's result as a plain Promise, for code that wants a Promise and not a thenable
   * Observable. Like `await task`, it listens without ever cancelling.
   *
   * @returns a Promise of the result, rejected with the task's error
   * @example
   * ```ts
   * const value = await task.asPromise();
   * ```
   */
  asPromise(): Promise<R> {
    return this.then();
  }

  /**
   * Makes the task awaitable.
   *
   * @param onfulfilled - called with the result
   * @param onrejected - called with the error
   * @returns a promise of what the callbacks return
   * @example
   * ```ts
   * const value = await task;
   * ```
   */
  then<R1 = R, R2 = never>(
    onfulfilled?: ((value: R) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (this.#promise === null) {
      // Awaiting wants the return value: partials no subscriber takes are dropped, so the generator is not held back.
      this.#state.drainPartials = true;
      this.#state.partials?.drain();
      this.#promise = new Promise<R>((resolve, reject) => this.#state.whenSettled((s) => ('value' in s ? resolve(s.value) : reject(s.error))));
    }
    return this.#promise.then(onfulfilled, onrejected);
  }

  /**
   * Awaits the task and handles its error, as `Promise.prototype.catch`.
   *
   * @param onrejected - called with the error
   * @returns a promise of the value or of what the callback returns
   * @example
   * ```ts
   * await task.catch((error) => console.error(error));
   * ```
   */
  catch<E = never>(onrejected?: ((reason: unknown) => E | PromiseLike<E>) | null): Promise<R | E> {
    return this.then(undefined, onrejected);
  }
}
