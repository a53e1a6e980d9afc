import { Subject, map, of, tap, type Observable, type SchedulerLike } from 'rxjs';
import { submitWithRetry } from '../client/submitWithRetry.js';
import { ServiceError } from '../errors/ServiceError.js';
import { TaskSubmissionFailed } from '../errors/TaskSubmissionFailed.js';
import type { SubmitRequest, SubmitResponse } from '../protocol/submit.js';
import type { BackoffOptions } from './backoff.js';
import { batchSubmissions, type BatchingOptions } from './batchSubmissions.js';
import { Hold } from './Hold.js';
import { postBatches, type BatchOutcome } from './postBatches.js';
import type { TaskState } from './TaskState.js';

/** One task on its way to the service. */
export interface Submission {
  readonly state: TaskState;
  readonly functionId: string;
  readonly endpointId: string;
  readonly payload: string;
}

/** How the queue posts. */
export interface SubmissionQueueOptions extends BatchingOptions {
  /** Sends one `POST /v2/submit`; aborting the signal abandons it. */
  readonly submit: (request: SubmitRequest, signal: AbortSignal) => Promise<SubmitResponse>;
  /** Tells the service to cancel tasks that were cancelled while their post was in flight. */
  readonly cancelRemote: (taskIds: readonly string[]) => void;
  /** Retries of a post that failed in transit or with a 5xx; ids are client-chosen, so a retry is the same tasks. */
  readonly retries: number;
  readonly retryBackoff?: BackoffOptions | undefined;
  /** Gives up on one attempt after this long. */
  readonly timeoutMs: number;
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * The submission pipeline: a `Subject` of submissions, buffered by `bufferTime` into batches,
 * each batch one `POST /v2/submit` (retried when it is safe to), answers mapped back to their
 * tasks by position. The pipeline, and so its timer, is subscribed only while submissions wait:
 * each submission holds it until its batch is answered, so an idle client keeps no timer alive.
 *
 * @example
 * ```ts
 * const queue = new SubmissionQueue({ interval: 1000, size: 128, submit, cancelRemote, retries: 3, timeoutMs: 30_000 });
 * queue.enqueue({ state, functionId, endpointId, payload });
 * ```
 */
export class SubmissionQueue {
  readonly #subject = new Subject<Submission>();
  readonly #hold: Hold;
  readonly #options: SubmissionQueueOptions;
  readonly #groupId: string;
  #posts = 0;

  /**
   * @param groupId - the task group every post names
   * @param options - batching, transport and retries
   */
  constructor(groupId: string, options: SubmissionQueueOptions) {
    this.#groupId = groupId;
    this.#options = options;
    const pipeline$ = this.#subject.pipe(
      batchSubmissions<Submission>(options),
      postBatches((batch) => this.#post(batch)),
      tap((outcome) => this.#settle(outcome)),
    );
    this.#hold = new Hold(pipeline$);
  }

  /** How many posts were sent (retries not counted). */
  get posts(): number {
    return this.#posts;
  }

  /** Whether the pipeline (and its timer) is live. */
  get active(): boolean {
    return this.#hold.active;
  }

  /**
   * Queues a task for the next batch.
   *
   * @param submission - the task and what to run
   * @returns nothing
   */
  enqueue(submission: Submission): void {
    this.#hold.acquire();
    this.#subject.next(submission);
  }

  #post(batch: readonly Submission[]): Observable<{ sent: Submission[]; response: SubmitResponse | null }> {
    // Tasks cancelled while they waited in the buffer are left out of the post.
    const sent = batch.filter((s) => !s.state.settled);
    if (sent.length === 0) return of({ sent, response: null });
    this.#posts++;
    for (const s of sent) s.state.phase = 'posting';
    const request: SubmitRequest = {
      task_group_id: this.#groupId,
      tasks: sent.map((s) => [s.functionId, s.endpointId, s.payload, s.state.taskId] as const),
    };
    const { retries, retryBackoff, timeoutMs, scheduler } = this.#options;
    return submitWithRetry(this.#options.submit, request, { retries, timeoutMs, backoff: retryBackoff, scheduler }).pipe(
      map((response) => ({ sent, response })),
    );
  }

  #settle(outcome: BatchOutcome<Submission, { sent: Submission[]; response: SubmitResponse | null }>): void {
    try {
      if (outcome.error !== undefined || outcome.response === undefined) {
        const error = outcome.error;
        const code = error instanceof ServiceError ? error.code : null;
        for (const s of outcome.batch) {
          s.state.settle({ error: new TaskSubmissionFailed(s.state.taskId, describe(error), { code, cause: error }) }, 'failed');
        }
        return;
      }
      const { sent, response } = outcome.response;
      if (response === null) return;
      const lateCancels: string[] = [];
      sent.forEach((s, i) => {
        const answer = response.results[i];
        if (answer?.status === 'Success') {
          s.state.phase = 'posted';
          if (s.state.settled) lateCancels.push(s.state.taskId);
          else s.state.setStatus('waiting-for-ep');
        } else {
          const reason = answer === undefined ? 'the service answered no result for it' : answer.reason;
          const code = answer === undefined ? null : answer.code;
          s.state.settle({ error: new TaskSubmissionFailed(s.state.taskId, reason, { code }) }, 'failed');
        }
      });
      if (lateCancels.length > 0) this.#options.cancelRemote(lateCancels);
    } finally {
      for (let i = 0; i < outcome.batch.length; i++) this.#hold.release();
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
