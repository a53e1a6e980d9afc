import { bufferTime, filter, Subject, tap, type Observable, type SchedulerLike } from 'rxjs';
import { v4 as uuidv4 } from 'uuid';
import { TaskCancelled } from '../errors/TaskCancelled.js';
import type { SubmitRequest, SubmitResponse } from '../protocol/submit.js';
import type { BatchStatusResponse, ServerFrame, TaskRecord } from '../protocol/task.js';
import type { WebSocketMaker } from '../transport/WebSocketMaker.js';
import type { TokenProvider } from '../client/TokenProvider.js';
import { AsyncTask, type TaskControl } from './AsyncTask.js';
import type { BackoffOptions } from './backoff.js';
import { Hold } from './Hold.js';
import { ResultConnection } from './ResultConnection.js';
import { SubmissionQueue } from './SubmissionQueue.js';
import { TaskRegistry } from './TaskRegistry.js';
import { TaskState } from './TaskState.js';

/** What an {@link AsyncSession} needs from its client. */
export interface AsyncSessionOptions {
  readonly taskGroupId: string;
  readonly resultSocketUrl: string;
  readonly token: TokenProvider;
  readonly makeWebSocket: WebSocketMaker;
  readonly submit: (request: SubmitRequest, signal: AbortSignal) => Promise<SubmitResponse>;
  readonly batchStatus: (taskIds: readonly string[]) => Promise<BatchStatusResponse>;
  readonly cancel: (taskIds: readonly string[]) => Promise<unknown>;
  readonly batchInterval: number;
  readonly batchSize: number;
  readonly submitRetries: number;
  readonly submitTimeoutMs: number;
  readonly reconnect?: BackoffOptions | undefined;
  readonly socketLingerMs?: number | undefined;
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * The asynchronous client's engine: outstanding tasks, the submission pipeline and the shared
 * result socket. The socket is held exactly while a task is outstanding: the first outstanding
 * task opens it, the last settled one closes it.
 *
 * @example
 * ```ts
 * const session = new AsyncSession(options);
 * const task = session.submit(functionId, endpointId, payload);
 * console.log(await task);
 * ```
 */
export class AsyncSession implements TaskControl {
  readonly #options: AsyncSessionOptions;
  readonly #registry: TaskRegistry;
  readonly #connection: ResultConnection;
  readonly #queue: SubmissionQueue;
  readonly #socketHold: Hold;
  readonly #cancels = new Subject<string>();
  readonly #cancelHold: Hold;
  #lastError: unknown = null;

  /** @param options - connection, transport and batching */
  constructor(options: AsyncSessionOptions) {
    this.#options = options;
    this.#connection = new ResultConnection({
      url: options.resultSocketUrl,
      token: options.token,
      makeWebSocket: options.makeWebSocket,
      batchStatus: options.batchStatus,
      postedTaskIds: () => this.#postedTaskIds(),
      reconnect: options.reconnect,
      lingerMs: options.socketLingerMs,
      scheduler: options.scheduler,
    });
    this.#connection.addGroup(options.taskGroupId);
    const routed$ = this.#connection.frames$.pipe(tap((frame) => this.#registry.route(frame)));
    // A socket that can never succeed (refused credentials) fails the tasks instead of hanging them.
    this.#socketHold = new Hold(routed$, (error) => {
      this.#lastError = error;
      this.#registry.failAll(error);
    });
    this.#registry = new TaskRegistry({ onFirst: () => this.#socketHold.acquire(), onLast: () => this.#socketHold.release() });
    this.#queue = new SubmissionQueue(options.taskGroupId, {
      interval: options.batchInterval,
      size: options.batchSize,
      scheduler: options.scheduler,
      submit: options.submit,
      cancelRemote: (ids) => this.#cancelRemote(ids),
      retries: options.submitRetries,
      retryBackoff: options.reconnect,
      timeoutMs: options.submitTimeoutMs,
    });
    // Cancels made in one tick go out in one `POST /v2/cancel`.
    const cancels$ = this.#cancels.pipe(
      bufferTime(0, null, 1024, ...(options.scheduler ? [options.scheduler] : [])),
      filter((ids) => ids.length > 0),
      tap((ids) => {
        options.cancel(ids).catch(() => {
          // Best effort: the task is already settled for its user; the service may still run it.
        }).finally(() => {
          for (let i = 0; i < ids.length; i++) this.#cancelHold.release();
        });
      }),
    );
    this.#cancelHold = new Hold(cancels$);
  }

  /** Every parsed frame of the result socket (shared; subscribing holds the socket open). */
  get frames$(): Observable<ServerFrame | TaskRecord> {
    return this.#connection.frames$;
  }

  /** How many tasks are outstanding. */
  get outstanding(): number {
    return this.#registry.size;
  }

  /** How many submit posts were sent. */
  get posts(): number {
    return this.#queue.posts;
  }

  /** How many times the result socket opened. */
  get socketOpens(): number {
    return this.#connection.opens;
  }

  /** The error that last ended the result socket for good (refused credentials), if any. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /**
   * Submits one task through the batching pipeline.
   *
   * @param functionId - the registered function
   * @param endpointId - where to run it
   * @param payload - the packed arguments
   * @param signal - cancels the task when aborted
   * @param taskId - the task's id, when the caller chose it
   * @returns the task's awaitable Observable
   */
  submit<T>(functionId: string, endpointId: string, payload: string, signal?: AbortSignal, taskId: string = uuidv4()): AsyncTask<T> {
    const state = new TaskState<T>(taskId, this.#options.taskGroupId);
    const task = new AsyncTask<T>(state, this);
    if (signal?.aborted) {
      state.settle({ error: new TaskCancelled(null, { cause: signal.reason }) }, 'cancelled');
      return task;
    }
    this.#registry.add(state as TaskState);
    this.#queue.enqueue({ state: state as TaskState, functionId, endpointId, payload });
    if (signal) {
      const onAbort = (): void => this.cancel(state as TaskState, signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      // Dropping the listener when the task ends keeps a long-lived signal from holding every task.
      state.outcome.subscribe({ complete: () => signal.removeEventListener('abort', onAbort), error: () => signal.removeEventListener('abort', onAbort) });
    }
    return task;
  }

  /**
   * Follows tasks submitted elsewhere (another process, an earlier run): each settles from the
   * result socket, or at once from the sweep when it has already ended.
   *
   * @param groupId - their task group
   * @param taskIds - the tasks
   * @returns one awaitable Observable per task, in order
   */
  watch<T>(groupId: string, taskIds: readonly string[]): AsyncTask<T>[] {
    const tasks = taskIds.map((id) => {
      const existing = this.#registry.get(id);
      const state = (existing as TaskState<T> | undefined) ?? new TaskState<T>(id, groupId, 'waiting-for-ep');
      state.phase = 'posted';
      this.#registry.add(state as TaskState);
      return new AsyncTask<T>(state, this);
    });
    this.#connection.addGroup(groupId);
    this.#sweepNow(taskIds);
    return tasks;
  }

  /**
   * Cancels a task: a queued one leaves its batch, a posted one is cancelled on the service.
   *
   * @param state - the task
   * @param reason - the cause of its `TaskCancelled`
   * @returns nothing
   */
  cancel(state: TaskState, reason?: unknown): void {
    const wasPosted = state.phase === 'posted';
    if (!state.settled) state.settle({ error: new TaskCancelled(state.taskId, reason === undefined ? undefined : { cause: reason }) }, 'cancelled');
    // A task still in its post is cancelled remotely once the post is answered (SubmissionQueue).
    if (wasPosted) this.#cancelRemote([state.taskId]);
  }

  /** Asks the service to push status changes. */
  watchStatuses(): void {
    this.#connection.enableStatuses();
  }

  /**
   * Settles every outstanding task: waits for them, or cancels them.
   *
   * @param options - `cancel`: cancel outstanding tasks instead of waiting
   * @returns when no task is outstanding and no request is in flight
   */
  async close(options: { cancel?: boolean } = {}): Promise<void> {
    const pending = [...this.#registry.values()];
    if (options.cancel) for (const state of pending) this.cancel(state, new Error('The client was closed'));
    await Promise.allSettled(pending.map((state) => new Promise<void>((resolve) => state.outcome.subscribe({ complete: resolve, error: () => resolve() }))));
  }

  #cancelRemote(ids: readonly string[]): void {
    for (const id of ids) {
      this.#cancelHold.acquire();
      this.#cancels.next(id);
    }
  }

  #postedTaskIds(): string[] {
    const ids: string[] = [];
    for (const state of this.#registry.values()) if (state.phase === 'posted') ids.push(state.taskId);
    return ids;
  }

  #sweepNow(taskIds: readonly string[]): void {
    const chunkSize = 1024;
    for (let i = 0; i < taskIds.length; i += chunkSize) {
      const chunk = taskIds.slice(i, i + chunkSize);
      this.#options.batchStatus(chunk).then(
        (answer) => {
          for (const id of chunk) {
            const record = answer.results[id];
            this.#registry.route(record ?? { task_id: id, status: 'Failed', reason: 'Unknown task id' });
          }
        },
        (error: unknown) => {
          for (const id of chunk) this.#registry.get(id)?.settle({ error }, 'failed');
        },
      );
    }
  }
}
