import { Subject, concat, defer, finalize, ignoreElements, map, merge, of, tap, type Observable, type SchedulerLike } from 'rxjs';
import type { SubmitRequest, SubmitResponse } from '../protocol/submit.js';
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

/**
 * The owner of the tasks' lifecycle, as the queue sees it: it decides which tasks of a batch go
 * out and applies the answer. The queue itself never changes a task.
 */
export interface SubmissionOwner {
  /** The tasks of a batch that still go out (the others were cancelled in the buffer), now moved to posting. */
  startPost(batch: readonly Submission[]): Submission[];
  /** The post's outcome for the tasks it carried. */
  finishPost(sent: readonly Submission[], outcome: { response: SubmitResponse } | { error: unknown }): void;
}

/** How the queue batches and posts. */
export interface SubmissionQueueOptions extends BatchingOptions {
  /** Sends one `POST /v2/submit`, retried as the owner sees fit; emits the answer once. */
  readonly post: (request: SubmitRequest) => Observable<SubmitResponse>;
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * The submission pipeline: a `Subject` of submissions, buffered by `bufferTime` into batches,
 * each batch one `POST /v2/submit`, its outcome handed to the task owner. The pipeline, and so
 * its timer, is subscribed only while submissions wait: each submission holds it until its batch
 * is answered, so an idle client keeps no timer alive.
 *
 * @example
 * ```ts
 * const queue = new SubmissionQueue(groupId, { interval: 10, size: 128, post }, owner);
 * queue.enqueue({ state, functionId, endpointId, payload });
 * ```
 */
export class SubmissionQueue {
  readonly #subject = new Subject<Submission>();
  readonly #hold: Hold;
  readonly #groupId: string;
  readonly #post: (request: SubmitRequest) => Observable<SubmitResponse>;
  readonly #owner: SubmissionOwner;
  /**
   * Task id → its post's answer, while the post is in flight: a later post with a task that takes
   * it as an input waits for it, so the service always knows an input before its dependant. The
   * post that set an entry deletes it when answered.
   */
  readonly #inFlight = new Map<string, Observable<unknown>>();
  #posts = 0;

  /**
   * @param groupId - the task group every post names
   * @param options - batching and the post
   * @param owner - picks what goes out and applies answers
   */
  constructor(groupId: string, options: SubmissionQueueOptions, owner: SubmissionOwner) {
    this.#groupId = groupId;
    this.#post = options.post;
    this.#owner = owner;
    const pipeline$ = this.#subject.pipe(
      batchSubmissions<Submission>(options),
      postBatches((batch) => this.#send(batch)),
      tap((outcome) => this.#answer(outcome)),
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

  #send(batch: readonly Submission[]): Observable<{ sent: Submission[]; response: SubmitResponse | null }> {
    const sent = this.#owner.startPost(batch);
    if (sent.length === 0) return of({ sent, response: null });
    this.#posts++;
    const dependencies: Record<string, readonly string[]> = {};
    const inputsInFlight = new Set<Observable<unknown>>();
    for (const { state } of sent) {
      if (state.inputs.length === 0) continue;
      dependencies[state.taskId] = state.inputs;
      for (const id of state.inputs) {
        const answer = this.#inFlight.get(id);
        if (answer) inputsInFlight.add(answer);
      }
    }
    const request: SubmitRequest = {
      task_group_id: this.#groupId,
      tasks: sent.map((s) => [s.functionId, s.endpointId, s.payload, s.state.taskId] as const),
      ...(Object.keys(dependencies).length > 0 ? { dependencies } : {}),
    };
    const ids = sent.map((s) => s.state.taskId);
    // The answer, whatever it is, ends the wait of a dependant's post.
    const answered = new Subject<void>();
    const answered$ = answered.asObservable();
    for (const id of ids) this.#inFlight.set(id, answered$);
    // Inputs posted earlier in flight: this post goes after their answers (inputs in this same post come before their dependants).
    const waitForInputs$ = inputsInFlight.size === 0 ? of() : merge(...inputsInFlight).pipe(ignoreElements());
    return concat(waitForInputs$, defer(() => this.#post(request))).pipe(
      map((response) => ({ sent, response: response as SubmitResponse })),
      finalize(() => {
        for (const id of ids) if (this.#inFlight.get(id) === answered$) this.#inFlight.delete(id);
        answered.complete();
      }),
    );
  }

  #answer(outcome: BatchOutcome<Submission, { sent: Submission[]; response: SubmitResponse | null }>): void {
    try {
      if (outcome.response === undefined) this.#owner.finishPost(outcome.batch, { error: outcome.error });
      else if (outcome.response.response !== null) this.#owner.finishPost(outcome.response.sent, { response: outcome.response.response });
    } finally {
      for (let i = 0; i < outcome.batch.length; i++) this.#hold.release();
    }
  }
}
