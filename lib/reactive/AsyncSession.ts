import { asyncScheduler, filter, interval, merge, tap, type Observable, type SchedulerLike } from 'rxjs';
import { v4 as uuidv4 } from 'uuid';
import { ServiceError } from '../errors/ServiceError.js';
import { TaskCancelled } from '../errors/TaskCancelled.js';
import { TaskSubmissionFailed } from '../errors/TaskSubmissionFailed.js';
import type { SubmitResponse } from '../protocol/submit.js';
import { MAX_ACKS_PER_FRAME, type AckFrame, type PartialFrame, type ServerFrame, type TaskRecord } from '../protocol/task.js';
import { PartialsMissing } from '../errors/PartialsMissing.js';
import { deserialize } from '../serialize/serialize.js';
import { PartialInbox } from './PartialInbox.js';
import type { WebSocketMaker } from '../transport/WebSocketMaker.js';
import type { TokenProvider } from '../transport/TokenProvider.js';
import { AsyncTask, type TaskControl } from './AsyncTask.js';
import type { BackoffOptions } from './backoff.js';
import { CLIENT_DEFAULTS } from './defaults.js';
import { frameToSettlement, type Settlement } from './frameToSettlement.js';
import { Hold } from './Hold.js';
import { lookupStatuses } from './lookupStatuses.js';
import { ResultConnection } from './ResultConnection.js';
import { retryIdempotent, type RetryPolicy } from './retryIdempotent.js';
import type { ServiceApi } from './ServiceApi.js';
import { SubmissionQueue, type Submission, type SubmissionOwner } from './SubmissionQueue.js';
import { TaskRegistry } from './TaskRegistry.js';
import { TaskState } from './TaskState.js';

/** What an {@link AsyncSession} needs: where the service is, how to batch, how to retry. Every value is resolved (see `CLIENT_DEFAULTS`). */
export interface AsyncSessionOptions {
  readonly taskGroupId: string;
  readonly resultSocketUrl: string;
  readonly token: TokenProvider;
  readonly makeWebSocket: WebSocketMaker;
  /** The service's submit, status and cancel calls. */
  readonly api: ServiceApi;
  readonly batchInterval: number;
  readonly batchSize: number;
  /** How submits, cancels and sweeps are retried. */
  readonly retry: RetryPolicy;
  readonly reconnect?: BackoffOptions | undefined;
  readonly socketLingerMs?: number | undefined;
  /** Sweep the posted tasks when no frame arrived for this long while they wait. */
  readonly idleSweepMs?: number | undefined;
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * The asynchronous client's engine, and the single owner of every task's lifecycle: each move
 * of a {@link TaskState} (queued → posting → posted → settled) is made by a method of this
 * class, from the user's calls, the submit answers, the result socket and the sweeps. It talks
 * to the service through one {@link ServiceApi}. The result socket is held exactly while a task
 * is outstanding.
 *
 * Exactly once: a task settles once (later frames and records are dropped), and none waits
 * forever on a lost message. A result pushed into a socket that died is read back by a sweep
 * (`POST /v2/batch_status`): after every reopen for the tasks posted by then, and after the
 * submit answer for a task whose post spanned a reopen (docs/protocol.md §5).
 *
 * @example
 * ```ts
 * const session = new AsyncSession(options);
 * const task = session.submit(functionId, endpointId, payload);
 * console.log(await task);
 * ```
 */
export class AsyncSession implements TaskControl, SubmissionOwner {
  readonly #options: AsyncSessionOptions;
  readonly #registry: TaskRegistry;
  readonly #connection: ResultConnection;
  readonly #queue: SubmissionQueue;
  /** Ids to cancel on the service, gathered in one tick into one `POST /v2/cancel`. */
  #cancelIds: string[] = [];
  #lastError: unknown = null;
  /** A sweep of the posted tasks is running; another is owed when the socket reopened meanwhile. */
  #sweeping = false;
  #sweepOwed = false;
  /** Tasks whose missed partials are being read back; each deleted when its read answers. */
  readonly #reading = new Set<string>();
  /** Acks of this tick: task id → last seq taken; emptied by the tick's send. */
  readonly #acks = new Map<string, number>();
  #ackScheduled = false;

  /** @param options - connection, transport, batching and retries */
  constructor(options: AsyncSessionOptions) {
    this.#options = options;
    this.#connection = new ResultConnection({
      url: options.resultSocketUrl,
      token: options.token,
      makeWebSocket: options.makeWebSocket,
      onReopen: () => this.#sweepPosted(),
      reconnect: options.reconnect,
      lingerMs: options.socketLingerMs,
      scheduler: options.scheduler,
    });
    this.#connection.addGroup(options.taskGroupId);
    // The registry and the socket hold refer to each other; both exist before either is used
    // (the first task added subscribes the socket).
    // A safety net beside the reopen sweeps: an event lost between replicas (one that died after
    // ending a task but before publishing it) reaches no socket, so a socket that has been quiet
    // for idleSweepMs while tasks wait sweeps them. One timer, and only while the socket is held;
    // it looks four times per idleSweepMs, so a sweep comes at most a quarter late (a timer of the
    // full period would come up to twice idleSweepMs after the last frame).
    const idleMs = options.idleSweepMs ?? CLIENT_DEFAULTS.idleSweepMs;
    const scheduler = options.scheduler ?? asyncScheduler;
    let lastFrameAt = scheduler.now();
    const frames$ = this.#connection.frames$.pipe(tap((frame) => {
      lastFrameAt = scheduler.now();
      this.#apply(frame);
    }));
    const idleSweeps$ = interval(Math.max(1, Math.floor(idleMs / 4)), scheduler).pipe(
      filter(() => scheduler.now() - lastFrameAt >= idleMs),
      tap(() => {
        lastFrameAt = scheduler.now();
        this.#sweepPosted();
      }),
    );
    const socketHold = new Hold(merge(frames$, idleSweeps$), (error) => this.#failAll(error));
    this.#registry = new TaskRegistry({ onFirst: () => socketHold.acquire(), onLast: () => socketHold.release() });
    this.#queue = new SubmissionQueue(
      options.taskGroupId,
      {
        interval: options.batchInterval,
        size: options.batchSize,
        scheduler: options.scheduler,
        post: (request) => retryIdempotent('POST /submit', (signal) => options.api.submit(request, signal), options.retry),
      },
      this,
    );
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
   * @param taskId - the task's id, when the caller chose it (stored in lower case, as the service stores it)
   * @param inputs - the tasks whose results its arguments stand for (they are posted before it)
   * @returns the task's awaitable Observable
   */
  submit<T>(functionId: string, endpointId: string, payload: string, signal?: AbortSignal, taskId: string = uuidv4(), inputs: readonly string[] = []): AsyncTask<T> {
    const state = new TaskState<T>(taskId.toLowerCase(), this.#options.taskGroupId, 'queued', inputs);
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
      state.whenSettled(() => signal.removeEventListener('abort', onAbort));
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
    const ids = taskIds.map((id) => id.toLowerCase());
    const tasks = ids.map((id) => {
      const state = (this.#registry.get(id) as TaskState<T> | undefined) ?? TaskState.followed<T>(id, groupId);
      this.#registry.add(state as TaskState);
      return new AsyncTask<T>(state, this);
    });
    this.#connection.addGroup(groupId);
    this.#sweep(ids, true);
    return tasks;
  }

  /**
   * Cancels a task. One still in the batch buffer leaves it and settles with `TaskCancelled`
   * at once: the service never saw it. One the service has (or may have, while its post is in
   * flight) is cancelled on the service, and settles with what the service answers: `TaskCancelled`
   * when the cancel stopped it, or its real outcome when it had already ended. So the user sees
   * what the service recorded (docs/protocol.md §6).
   *
   * @param state - the task
   * @param reason - the cause of its `TaskCancelled`
   * @returns nothing
   */
  cancel(state: TaskState, reason?: unknown): void {
    switch (state.phase) {
      case 'settled':
        return;
      case 'queued':
        state.settle({ error: new TaskCancelled(state.taskId, reason === undefined ? undefined : { cause: reason }) }, 'cancelled');
        return;
      case 'posting':
        // Cancelled on the service once the post is answered (finishPost).
        state.cancelReason ??= { reason };
        return;
      case 'posted':
        if (state.cancelReason !== null) return;
        state.cancelReason = { reason };
        this.#cancelRemote(state.taskId);
    }
  }

  /** Asks the service to push status changes. */
  watchStatuses(): void {
    this.#connection.enableStatuses();
  }

  /**
   * A task's partial results, made on first use; each value taken is acknowledged to the service.
   *
   * @param state - the task
   * @returns its inbox
   */
  partialsOf(state: TaskState): PartialInbox {
    if (state.partials === null) {
      state.partials = new PartialInbox((seq) => this.#ack(state.taskId, seq));
      if (state.drainPartials) state.partials.drain();
    }
    return state.partials;
  }

  /**
   * Settles every outstanding task: waits for them, or cancels them.
   *
   * @param options - `cancel`: cancel outstanding tasks instead of waiting
   * @returns when no task is outstanding
   */
  async close(options: { cancel?: boolean } = {}): Promise<void> {
    const pending = [...this.#registry.values()];
    if (options.cancel) for (const state of pending) this.cancel(state, new Error('The client was closed'));
    await Promise.all(pending.map((state) => new Promise<void>((resolve) => state.whenSettled(() => resolve()))));
    // Nothing outstanding: a lingering socket must not keep the process alive after close().
    this.#connection.endLinger();
  }

  /**
   * The tasks of a batch that still go out, moved to posting (the queue's call).
   *
   * @param batch - the batch
   * @returns the tasks to post
   */
  startPost(batch: readonly Submission[]): Submission[] {
    const sent: Submission[] = [];
    for (const s of batch) {
      if (!s.state.moveTo('posting')) continue;
      s.state.reopensAtPost = this.#connection.reopens;
      sent.push(s);
    }
    return sent;
  }

  /**
   * Applies a post's outcome (the queue's call): accepted tasks become posted, refused ones fail.
   *
   * @param sent - the tasks the post carried
   * @param outcome - the answer, or the error that ended the post after its retries
   * @returns nothing
   */
  finishPost(sent: readonly Submission[], outcome: { response: SubmitResponse } | { error: unknown }): void {
    if ('error' in outcome) {
      const { error } = outcome;
      const code = error instanceof ServiceError ? error.code : null;
      for (const { state } of sent) {
        if (state.cancelReason !== null) this.#settleCancelled(state, error);
        else state.settle({ error: new TaskSubmissionFailed(state.taskId, describe(error), { code, cause: error }) }, 'failed');
      }
      return;
    }
    const unswept: string[] = [];
    sent.forEach(({ state }, i) => {
      const answer = outcome.response.results[i];
      if (answer?.status !== 'Success') {
        const reason = answer === undefined ? 'the service answered no result for it' : answer.reason;
        state.settle({ error: new TaskSubmissionFailed(state.taskId, reason, { code: answer === undefined ? null : answer.code }) }, 'failed');
        return;
      }
      // A result frame may have settled it before the answer came: nothing left to do then.
      if (!state.moveTo('posted')) return;
      if (state.cancelReason !== null) this.#cancelRemote(state.taskId);
      // The socket reopened while the post was in flight: its result may have gone into the
      // dead socket, and the reopen's sweep did not cover it (it was not posted yet).
      else if (state.reopensAtPost !== this.#connection.reopens) unswept.push(state.taskId);
    });
    if (unswept.length > 0) this.#sweep(unswept, false);
  }

  /** Applies a frame or a record (socket, sweep, cancel answer) to its task. */
  #apply(frame: ServerFrame | TaskRecord): void {
    const state = this.#registry.get(frame.task_id);
    if (state === undefined) return;
    if ('type' in frame) {
      if (frame.type === 'status') state.setStatus(frame.status);
      else if (frame.type === 'partial') this.#applyPartial(state, frame);
      return;
    }
    const outcome = frameToSettlement(frame);
    if (outcome === null) {
      state.setStatus(frame.status as TaskRecord['status']);
      return;
    }
    const yielded = (frame as { partials?: unknown }).partials;
    if (typeof yielded === 'number') {
      // A generator: it completes once every partial it yielded has been taken in (§11).
      state.generator = true;
      const inbox = this.partialsOf(state);
      inbox.total = yielded;
      if (!inbox.complete) {
        state.pendingEnd ??= outcome;
        this.#readPartials(state);
        return;
      }
    }
    this.#settleEnd(state, outcome);
  }

  /** A partial frame: the next one is taken in; one heard before is acknowledged again (the ack may have died with a socket); a gap is read back. */
  #applyPartial(state: TaskState, frame: PartialFrame): void {
    const inbox = this.partialsOf(state);
    if (frame.seq < inbox.next) {
      const taken = inbox.next - inbox.held - 1;
      if (taken >= 0) this.#ack(state.taskId, taken);
      return;
    }
    let value: unknown;
    try {
      value = deserialize(frame.value);
    } catch (error) {
      state.settle({ error }, 'failed');
      return;
    }
    inbox.offer(frame.seq, value);
    if (inbox.gap) this.#readPartials(state);
  }

  /**
   * Reads a generator's missed partials back over HTTP (`GET /v2/tasks/<id>/partials`), page
   * after page, until none is missing; then settles the task if its end came meanwhile. One read
   * per task at a time; a service that has not stored the last ones yet (they are recorded just
   * before the result) is asked again a few times.
   */
  #readPartials(state: TaskState, attempt = 0): void {
    if (this.#reading.has(state.taskId) || state.settled) return;
    const inbox = this.partialsOf(state);
    this.#reading.add(state.taskId);
    const from = inbox.next;
    retryIdempotent('GET /partials', (signal) => this.#options.api.partials(state.taskId, from, signal), this.#options.retry).subscribe({
      next: (page) => {
        this.#reading.delete(state.taskId);
        if (state.settled) return;
        if (page.first > inbox.next) return void state.settle({ error: new PartialsMissing(state.taskId, inbox.next, `the service holds them from ${page.first} on only`) }, 'failed');
        page.partials.forEach((text, i) => {
          const seq = page.first + i;
          if (seq < inbox.next) return;
          let value: unknown;
          try {
            value = deserialize(text);
          } catch (error) {
            return void state.settle({ error }, 'failed');
          }
          inbox.offer(seq, value);
        });
        if (state.settled) return;
        if (inbox.gap) {
          if (page.partials.length > 0) return this.#readPartials(state);
          if (attempt >= PARTIAL_READS) return void state.settle({ error: new PartialsMissing(state.taskId, inbox.next, `the service has ${page.count} of them`) }, 'failed');
          (this.#options.scheduler ?? asyncScheduler).schedule(() => this.#readPartials(state, attempt + 1), 20 * 2 ** Math.min(attempt, 6));
          return;
        }
        if (state.pendingEnd !== null) this.#settleEnd(state, state.pendingEnd);
      },
      error: (error: unknown) => {
        this.#reading.delete(state.taskId);
        state.settle({ error: new PartialsMissing(state.taskId, inbox.next, describe(error)) }, 'failed');
      },
    });
  }

  /** Settles a task as the service ended it; a cancelled one with the user's reason as the cause they gave. */
  #settleEnd(state: TaskState, outcome: Settlement): void {
    if (outcome.status === 'cancelled' && state.cancelReason !== null) this.#settleCancelled(state);
    else state.settle(outcome.settlement, outcome.status);
  }

  /** Acknowledges partials taken; those of one tick go in one frame (or a few), the last seq per task. */
  #ack(taskId: string, seq: number): void {
    this.#acks.set(taskId, Math.max(seq, this.#acks.get(taskId) ?? -1));
    if (this.#acks.size > 1 || this.#ackScheduled) return;
    this.#ackScheduled = true;
    (this.#options.scheduler ?? asyncScheduler).schedule(() => {
      this.#ackScheduled = false;
      const acks = [...this.#acks];
      this.#acks.clear();
      for (let i = 0; i < acks.length; i += MAX_ACKS_PER_FRAME) this.#connection.send(JSON.stringify({ type: 'ack', acks: acks.slice(i, i + MAX_ACKS_PER_FRAME) } satisfies AckFrame));
    });
  }

  /** A socket that can never succeed (refused credentials) fails the tasks instead of hanging them. */
  #failAll(error: unknown): void {
    this.#lastError = error;
    for (const state of [...this.#registry.values()]) state.settle({ error }, 'failed');
  }

  #settleCancelled(state: TaskState, fallback?: unknown): void {
    const reason = state.cancelReason?.reason ?? fallback;
    state.settle({ error: new TaskCancelled(state.taskId, reason === undefined ? undefined : { cause: reason }) }, 'cancelled');
  }

  /**
   * Sweeps every posted task after a reopen. Sweeps never overlap and are never cut short by
   * the socket dropping again (under load a sweep of many tasks can outlast a socket): a reopen
   * during a sweep owes one more, run when it ends, which covers what the newest dead socket may
   * have swallowed. A sweep that fails for good (past the deadline) is owed again too.
   */
  #sweepPosted(): void {
    if (this.#sweeping) {
      this.#sweepOwed = true;
      return;
    }
    this.#sweeping = true;
    this.#sweepOwed = false;
    const done = (failed: boolean): void => {
      this.#sweeping = false;
      if ((this.#sweepOwed || failed) && this.#registry.size > 0) this.#sweepPosted();
    };
    lookupStatuses(this.#options.api, this.#postedTaskIds(), this.#options.retry).subscribe({
      next: (record) => this.#apply(record),
      error: () => done(true),
      complete: () => done(false),
    });
  }

  /**
   * Reads tasks' records and applies them.
   *
   * @param ids - the tasks
   * @param failOnError - fail the tasks when the lookup fails for good (a watch); otherwise leave
   *   them to the socket, whose next reopen sweeps them again
   */
  #sweep(ids: readonly string[], failOnError: boolean): void {
    lookupStatuses(this.#options.api, ids, this.#options.retry).subscribe({
      next: (record) => this.#apply(record),
      error: (error: unknown) => {
        if (failOnError) for (const id of ids) this.#registry.get(id)?.settle({ error }, 'failed');
      },
    });
  }

  /**
   * Cancels made in one tick go out together, 1024 ids a `POST /v2/cancel`, each retried as an
   * idempotent request; the answer's records settle the tasks. A one-off timer, not a standing
   * pipeline, so nothing of it is left once the requests end.
   */
  #cancelRemote(taskId: string): void {
    this.#cancelIds.push(taskId);
    if (this.#cancelIds.length > 1) return;
    (this.#options.scheduler ?? asyncScheduler).schedule(() => {
      const ids = this.#cancelIds;
      this.#cancelIds = [];
      for (let i = 0; i < ids.length; i += CLIENT_DEFAULTS.cancelChunk) this.#sendCancels(ids.slice(i, i + CLIENT_DEFAULTS.cancelChunk));
    });
  }

  #sendCancels(ids: readonly string[]): void {
    retryIdempotent('POST /cancel', (signal) => this.#options.api.cancel(ids, signal), this.#options.retry).subscribe({
      next: (answer) => {
        for (const id of ids) {
          const record = answer.results[id];
          if (record !== undefined) this.#apply(record);
        }
      },
      // Unanswered for good: the tasks stay outstanding and settle as the service reports them.
      error: () => {},
    });
  }

  #postedTaskIds(): string[] {
    const ids: string[] = [];
    for (const state of this.#registry.values()) if (state.phase === 'posted') ids.push(state.taskId);
    return ids;
  }
}

/** How many times a generator's missing last partials are asked for again before the task fails with `PartialsMissing`. */
const PARTIAL_READS = 8;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
