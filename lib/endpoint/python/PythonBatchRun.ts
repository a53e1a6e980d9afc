import { errorFormOf, serializeErrorAs } from '../../serialize/errorForm.js';
import type { BatchRun } from '../BatchRun.js';
import { TaskTimeout } from '../TaskTimeout.js';
import type { WorkerOutcome } from '../worker.js';
import type { BatchTask, OnBatchOutcome } from '../WorkerBatchRun.js';
import { WorkerCrashed } from '../WorkerCrashed.js';
import type { PythonBatch, PythonProcess } from './PythonProcess.js';

/** Where a batch waits for a process: the pool calls `start` with one, or `refuse` when it closes first. */
export interface PythonSlot {
  /** Runs on the process; resolves when done with it (it may have died). */
  start(worker: PythonProcess): Promise<void>;
  /** The pool closed before a process was free. */
  refuse(error: Error): void;
}

const OPEN = 0;
const ENDED = 1;
const CANCELLED = 2;

/** The part of the batch one process runs: the tasks still open when it started. */
interface Part {
  readonly worker: PythonProcess;
  readonly indexes: readonly number[];
  /** The position the process runs now, as far as its answers tell. */
  cursor: number;
  timer: NodeJS.Timeout | null;
  /** Why the run killed the process: the running task's time limit, or its cancel. */
  stop: { readonly timeoutMs: number } | { readonly cancelled: true } | null;
  readonly finish: () => void;
}

/**
 * A micro-batch on a CPython worker process (`worker.py`'s `run_batch`): the tasks go in one
 * line, run in order, and each outcome comes back as soon as it is made. Each task keeps its own
 * cancellation and time limit: a task not started yet is skipped (the process reads the skip
 * between two tasks, and a task whose predecessor has answered while its skip is unanswered may
 * be running: the process is killed then), a running one is stopped by killing the process, and
 * the tasks after it go on in a fresh one. A process that dies takes only its running task with
 * it (`WorkerCrashed`); one that ended itself after a `MemoryError` takes none.
 *
 * @example
 * ```ts
 * const run = pool.runBatch(tasks, { onOutcome: (i, outcome) => send(tasks[i], outcome) });
 * run.cancel(3);
 * await run.done;
 * ```
 */
export class PythonBatchRun implements BatchRun {
  readonly #tasks: readonly BatchTask[];
  readonly #enqueue: (slot: PythonSlot) => void;
  readonly #onOutcome: OnBatchOutcome;
  readonly #state: Uint8Array;
  /** Each task's position in the running part, or -1. */
  readonly #positionOf: Int32Array;
  #part: Part | null = null;
  #open: number;
  readonly done: Promise<void>;
  #resolve!: () => void;

  /**
   * @param tasks - the batch, in the order to run it
   * @param enqueue - queues a slot for the next free process of the pool
   * @param onOutcome - each task's outcome
   */
  constructor(tasks: readonly BatchTask[], enqueue: (slot: PythonSlot) => void, onOutcome: OnBatchOutcome) {
    this.#tasks = tasks;
    this.#enqueue = enqueue;
    this.#onOutcome = onOutcome;
    this.#state = new Uint8Array(tasks.length);
    this.#positionOf = new Int32Array(tasks.length).fill(-1);
    this.#open = tasks.length;
    this.done = new Promise((resolve) => (this.#resolve = resolve));
    if (tasks.length === 0) this.#resolve();
    else this.#queue();
  }

  cancel(index: number): boolean {
    if (this.#state[index] !== OPEN) return false;
    const part = this.#part;
    const position = this.#positionOf[index]!;
    this.#end(index, CANCELLED);
    // Not handed to a process yet: it simply never is.
    if (part === null || position < 0) return true;
    if (position === part.cursor) this.#stop(part, { cancelled: true });
    else part.worker.skip(position);
    return true;
  }

  #queue(): void {
    this.#enqueue({
      start: (worker) => this.#run(worker),
      refuse: (error) => {
        for (let index = 0; index < this.#tasks.length; index++) if (this.#state[index] === OPEN) this.#fail(index, new WorkerCrashed(error.message, error, 'Python worker process'));
      },
    });
  }

  #run(worker: PythonProcess): Promise<void> {
    const indexes: number[] = [];
    for (let index = 0; index < this.#tasks.length; index++) if (this.#state[index] === OPEN) indexes.push(index);
    if (indexes.length === 0) return Promise.resolve();
    return new Promise((finish) => {
      const part: Part = { worker, indexes, cursor: 0, timer: null, stop: null, finish };
      this.#part = part;
      const code: Record<string, string> = {};
      const batch: PythonBatch = {
        code,
        tasks: indexes.map((index, position) => {
          this.#positionOf[index] = position;
          const task = this.#tasks[index]!;
          code[task.functionId] ??= task.functionCode;
          return { function_id: task.functionId, payload: task.payload, task_id: task.taskId, options: task.options ?? null, sandbox_dir: task.sandboxDir, mpi_launcher: task.mpiLauncher, ...(task.credit === undefined ? {} : { credit: task.credit }) };
        }),
      };
      worker.runBatch(batch, {
        outcome: (at, outcome, ms) => {
          const index = indexes[at]!;
          if (this.#state[index] === OPEN) {
            this.#end(index, ENDED);
            this.#onOutcome(index, outcome, ms);
          }
          this.#answered(part, at);
        },
        skipped: (at) => this.#answered(part, at),
        died: (error, recycled) => this.#died(part, error, recycled),
      });
      this.#arm(part);
    });
  }

  /** The process has answered `at`: the next position runs (or the part is done). */
  #answered(part: Part, at: number): void {
    part.cursor = at + 1;
    if (part.cursor >= part.indexes.length) {
      this.#close(part);
      return;
    }
    this.#arm(part);
    const cursor = part.cursor;
    if (this.#state[part.indexes[cursor]!] === CANCELLED) {
      // Its skip is unanswered: the process may be running it. Once the answers already read are
      // applied (a microtask runs after the whole chunk), a cursor still there is stopped.
      queueMicrotask(() => {
        if (this.#part === part && part.cursor === cursor && part.stop === null) this.#stop(part, { cancelled: true });
      });
    }
  }

  #died(part: Part, error: Error, recycled: boolean): void {
    const index = part.indexes[part.cursor];
    if (index !== undefined && this.#state[index] === OPEN) {
      const stop = part.stop;
      if (stop !== null && 'timeoutMs' in stop) this.#fail(index, new TaskTimeout(stop.timeoutMs));
      else if (!recycled) this.#fail(index, new WorkerCrashed(error.message, error, 'Python worker process'));
    }
    this.#close(part);
  }

  /** The part is over: the process is free (or dead); what is still open goes to another. */
  #close(part: Part): void {
    if (part.timer !== null) clearTimeout(part.timer);
    part.timer = null;
    for (const index of part.indexes) this.#positionOf[index] = -1;
    this.#part = null;
    part.finish();
    if (this.#open > 0) this.#queue();
    else this.#resolve();
  }

  /** Counts the running position's time limit, if it has one. */
  #arm(part: Part): void {
    if (part.timer !== null) clearTimeout(part.timer);
    part.timer = null;
    if (this.#part !== part) return; // the process died as the batch was handed to it
    const index = part.indexes[part.cursor]!;
    const timeoutMs = this.#tasks[index]!.timeoutMs;
    if (timeoutMs === undefined || this.#state[index] !== OPEN) return;
    part.timer = setTimeout(() => {
      part.timer = null;
      if (this.#part === part && part.stop === null) this.#stop(part, { timeoutMs });
    }, timeoutMs);
  }

  #stop(part: Part, stop: NonNullable<Part['stop']>): void {
    part.stop = stop;
    part.worker.kill();
  }

  /** Ends a task with an error of the endpoint's, in the form its submitter reads. */
  #fail(index: number, error: TaskTimeout | WorkerCrashed): void {
    const task = this.#tasks[index]!;
    this.#end(index, ENDED);
    const exception = serializeErrorAs(errorFormOf(task.payload, task.options ?? null), error);
    const outcome: WorkerOutcome = error instanceof WorkerCrashed ? { exception, crashed: true } : { exception };
    this.#onOutcome(index, outcome, 0);
  }

  #end(index: number, state: typeof ENDED | typeof CANCELLED): void {
    this.#state[index] = state;
    this.#open--;
    // With a part running, done waits for the process to be free (#close).
    if (this.#open === 0 && this.#part === null) this.#resolve();
  }
}
