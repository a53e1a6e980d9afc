import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { serializeError } from '../serialize/serialize.js';
import { BatchClaim } from './batchClaims.js';
import { TaskTimeout } from './TaskTimeout.js';
import type { BatchRun } from './BatchRun.js';
import type { BatchOutcome, WorkerBatch, WorkerOutcome, WorkerTask } from './worker.js';
import { describeCrash, WorkerCrashed } from './WorkerCrashed.js';
import type { PartialCredit } from '../protocol/endpointChannel.js';

/** One task of a micro-batch. */
export interface BatchTask {
  readonly functionId: string;
  readonly functionCode: string;
  readonly payload: string;
  /** The service's task id and its first credit, for a generator's partials (§11). */
  readonly taskId?: string;
  readonly credit?: PartialCredit;
  /** Its time limit, counted from when the previous task of its batch ended. */
  readonly timeoutMs?: number | undefined;
  /** Python: the options a Globus Compute (v3) submit gave it, its sandbox and MPI launcher ({@link WorkerTask}). */
  readonly options?: WorkerTask['options'];
  readonly sandboxDir?: string | undefined;
  readonly mpiLauncher?: string | undefined;
}

/** What {@link WorkerBatchRun} needs from the pool: a worker for a batch, stopped when `signal` aborts. */
export type DispatchBatch = (batch: WorkerBatch, transfer: MessagePort, signal: AbortSignal) => Promise<unknown>;

/** Called once per task that ran: with its outcome (its own, `TaskTimeout` or `WorkerCrashed`) and how long it ran. */
export type OnBatchOutcome = (index: number, outcome: WorkerOutcome, ms: number) => void;

const OPEN = 0;
const ENDED = 1;
const CANCELLED = 2;

/** One dispatch of some of the batch's tasks to one worker. */
interface Part {
  /** The batch's indexes of this part's tasks, in order; positions index `claims`. */
  readonly indexes: readonly number[];
  readonly claims: Int32Array;
  readonly port: MessagePort;
  readonly controller: AbortController;
  /**
   * Outcomes the worker may still post: the part's tasks less those posted and those taken back.
   * At 0 the worker is done with the part. (An idle piscina worker waits in `Atomics.wait`, so its
   * closing the port would not be seen until the worker ends: the pool closes it itself.)
   */
  expected: number;
  ended: boolean;
  /** Why the pool stopped the worker: the position it was running then, and what to report for it. */
  stop: { readonly position: number; readonly cancelled: boolean; readonly timeoutMs?: number } | null;
  crash: unknown;
  timer: NodeJS.Timeout | null;
  /** The position whose time limit the timer counts. */
  timed: number;
}

/**
 * A micro-batch on the worker pool: several tasks handed to one worker in one message, run in
 * order, each outcome reported as soon as it is made. Each task keeps its own cancellation and
 * time limit: a task not started yet is skipped (the {@link BatchClaim} words decide the race with
 * the worker), a running one stops the worker, and the tasks after it go on in a fresh worker.
 * A worker that dies takes only its running task with it (`WorkerCrashed`).
 *
 * @example
 * ```ts
 * const run = pool.runBatch(tasks, { onOutcome: (i, outcome) => send(tasks[i], outcome) });
 * run.cancel(3); // skipped, or stopped if running; the others go on
 * await run.done;
 * ```
 */
export class WorkerBatchRun implements BatchRun {
  readonly #tasks: readonly BatchTask[];
  readonly #dispatch: DispatchBatch;
  readonly #onOutcome: OnBatchOutcome;
  readonly #maxResultBytes: number | undefined;
  readonly #state: Uint8Array;
  /** Where each task is now: its part and position there. */
  readonly #partOf: Part[] = [];
  readonly #positionOf: Int32Array;
  #open: number;
  /** Settles when every task has ended or been cancelled. */
  readonly done: Promise<void>;
  #resolve!: () => void;

  /**
   * @param tasks - the batch, in the order to run it
   * @param dispatch - hands a part of the batch to a worker
   * @param onOutcome - each task's outcome
   * @param maxResultBytes - the result limit of every task
   */
  constructor(tasks: readonly BatchTask[], dispatch: DispatchBatch, onOutcome: OnBatchOutcome, maxResultBytes?: number) {
    this.#tasks = tasks;
    this.#dispatch = dispatch;
    this.#onOutcome = onOutcome;
    this.#maxResultBytes = maxResultBytes;
    this.#state = new Uint8Array(tasks.length);
    this.#positionOf = new Int32Array(tasks.length);
    this.#open = tasks.length;
    this.done = new Promise((resolve) => (this.#resolve = resolve));
    if (tasks.length === 0) this.#resolve();
    else this.#start(tasks.map((_, i) => i));
  }

  /**
   * Cancels one task: it will not run if it has not started; if it runs, its worker is stopped
   * and replaced, and the tasks after it run on. A task that has ended is not affected.
   *
   * @param index - the task's index in the batch
   * @returns whether it was cancelled (false: it had ended, or its outcome is on the way)
   */
  cancel(index: number): boolean {
    if (this.#state[index] !== OPEN) return false;
    const part = this.#partOf[index]!;
    const position = this.#positionOf[index]!;
    // Not started (or already taken back for a fresh worker): it simply never runs.
    if (this.#takeBack(part, position) !== BatchClaim.CLAIMED) {
      this.#end(index, CANCELLED);
      if (part.expected === 0) this.#partEnded(part);
      return true;
    }
    if (part.stop !== null || !this.#stopAfter(part, position)) return false;
    part.stop = { position, cancelled: true };
    this.#end(index, CANCELLED);
    part.controller.abort();
    return true;
  }

  #start(indexes: readonly number[]): void {
    const claims = new Int32Array(new SharedArrayBuffer(4 * indexes.length));
    const { port1, port2 } = new MessageChannel();
    const part: Part = { indexes, claims, port: port1, controller: new AbortController(), expected: indexes.length, ended: false, stop: null, crash: undefined, timer: null, timed: -1 };
    const code: Record<string, string> = {};
    const tasks = indexes.map((index, position) => {
      this.#partOf[index] = part;
      this.#positionOf[index] = position;
      const task = this.#tasks[index]!;
      code[task.functionId] ??= task.functionCode;
      return { functionId: task.functionId, payload: task.payload, ...(task.taskId === undefined ? {} : { taskId: task.taskId }), ...(task.credit === undefined ? {} : { credit: task.credit }) };
    });
    port1.on('message', ([position, outcome, ms]: BatchOutcome) => {
      part.expected--;
      const index = indexes[position]!;
      // Not when it was cancelled while its outcome was on the way.
      if (this.#state[index] === OPEN) {
        this.#end(index, ENDED);
        this.#onOutcome(index, outcome, ms);
        if (part.timed === position || part.timed === -1) this.#arm(part, position + 1);
      }
      if (part.expected === 0) this.#partEnded(part);
    });
    // A stopped or crashed worker: every message it posted arrives before 'close'.
    port1.once('close', () => this.#partEnded(part));
    const batch: WorkerBatch = { code, tasks, claims, port: port2, ...(this.#maxResultBytes === undefined ? {} : { maxResultBytes: this.#maxResultBytes }) };
    this.#dispatch(batch, port2, part.controller.signal)
      .catch((error: unknown) => {
        if (part.stop === null) part.crash = error;
      })
      .finally(() => port2.close()); // never reached a worker: nobody else closes it
    this.#arm(part, 0);
  }

  /** Counts the time limit of the first open task from `position` on, if it has one. */
  #arm(part: Part, position: number): void {
    if (part.timer !== null) clearTimeout(part.timer);
    part.timer = null;
    part.timed = -1;
    while (position < part.indexes.length && this.#state[part.indexes[position]!] !== OPEN) position++;
    const timeoutMs = position < part.indexes.length ? this.#tasks[part.indexes[position]!]!.timeoutMs : undefined;
    if (timeoutMs === undefined || part.stop !== null) return;
    part.timed = position;
    part.timer = setTimeout(() => {
      part.timer = null;
      // Not started yet (the worker is still on an earlier task's outcome): count again.
      if (Atomics.load(part.claims, position) === BatchClaim.PENDING) return this.#arm(part, position);
      if (part.stop !== null || !this.#stopAfter(part, position)) return;
      part.stop = { position, cancelled: false, timeoutMs };
      part.controller.abort();
    }, timeoutMs);
  }

  /**
   * Takes back every task after `position` that has not started. The worker claims in order, so
   * if it has claimed one of them, the task at `position` has ended (its outcome is on the way):
   * returns false and leaves the worker be. Otherwise true: stopping the worker now stops that task.
   */
  #stopAfter(part: Part, position: number): boolean {
    for (let p = position + 1; p < part.indexes.length; p++) {
      if (this.#takeBack(part, p) === BatchClaim.CLAIMED) return false;
    }
    return true;
  }

  /** Takes a task back from the worker if it has not claimed it; returns its word as it was. */
  #takeBack(part: Part, position: number): number {
    const was = Atomics.compareExchange(part.claims, position, BatchClaim.PENDING, BatchClaim.SKIPPED);
    if (was === BatchClaim.PENDING) part.expected--;
    return was;
  }

  /** The worker is done with the part (or gone): report the task it was running, start the rest anew. */
  #partEnded(part: Part): void {
    if (part.ended) return;
    part.ended = true;
    part.port.close();
    if (part.timer !== null) clearTimeout(part.timer);
    const rest: number[] = [];
    for (let position = 0; position < part.indexes.length; position++) {
      const index = part.indexes[position]!;
      if (this.#state[index] !== OPEN) continue;
      if (this.#takeBack(part, position) !== BatchClaim.CLAIMED) {
        rest.push(index); // never started here
        continue;
      }
      this.#end(index, ENDED);
      const stop = part.stop;
      const error = stop?.position === position && stop.timeoutMs !== undefined
        ? new TaskTimeout(stop.timeoutMs)
        : new WorkerCrashed(describeCrash(part.crash), part.crash);
      this.#onOutcome(index, error instanceof WorkerCrashed ? { exception: serializeError(error), crashed: true } : { exception: serializeError(error) }, 0);
    }
    if (rest.length === 0) return;
    // A dispatch that ran nothing (a pool closing) would fail again: end those tasks instead of looping.
    if (part.crash !== undefined && !part.claims.some((word) => word === BatchClaim.CLAIMED)) {
      for (const index of rest) {
        this.#end(index, ENDED);
        this.#onOutcome(index, { exception: serializeError(new WorkerCrashed(describeCrash(part.crash), part.crash)), crashed: true }, 0);
      }
      return;
    }
    this.#start(rest);
  }

  #end(index: number, state: typeof ENDED | typeof CANCELLED): void {
    this.#state[index] = state;
    if (--this.#open === 0) this.#resolve();
  }
}

