import { errorFormOf, serializeErrorAs } from '../../serialize/errorForm.js';
import { TaskTimeout } from '../TaskTimeout.js';
import { WorkerCrashed } from '../WorkerCrashed.js';
import type { WorkerOutcome, WorkerTask } from '../worker.js';
import type { PythonSearch } from './findPython.js';
import { PythonProcess } from './PythonProcess.js';
import { PythonUnavailable } from './PythonUnavailable.js';
import type { PartialCredit } from '../../protocol/endpointChannel.js';
import type { WorkerPartial } from '../partialChannel.js';
import type { BatchTask, OnBatchOutcome } from '../WorkerBatchRun.js';
import { PythonBatchRun, type PythonSlot } from './PythonBatchRun.js';

/** Options of {@link PythonPool}. */
export interface PythonPoolOptions {
  /** The interpreter found by `findPython`, or none. */
  readonly python: PythonSearch;
  /** Worker processes; each runs one task at a time. They start on first use and then stay. */
  readonly workers: number;
  /**
   * Results over this many bytes fail their task with `ResultTooLarge`.
   * @default 10_000_000 (Globus Compute's limit)
   */
  readonly maxResultBytes?: number;
  /**
   * Each worker's address-space limit in MB: past it Python raises `MemoryError`, which fails the
   * task, and the worker is replaced. 0 for none.
   * @default 2048
   */
  readonly memoryMb?: number;
  /** Directories put first on the workers' `PYTHONPATH` (where `globus_compute_sdk` is, for its `ShellFunction`). */
  readonly pythonPath?: readonly string[];
}

interface Job {
  readonly task: WorkerTask;
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number | undefined;
  readonly resolve: (outcome: WorkerOutcome) => void;
  readonly reject: (reason: unknown) => void;
  process: PythonProcess | null;
  onAbort: (() => void) | null;
  /** Its place in the pool's line. */
  readonly slot: PythonSlot;
}

/**
 * A pool of long-lived CPython worker processes beside the JavaScript worker threads, with the
 * same contract as `WorkerPool.run`: outcomes are always serialized (a result or an exception,
 * the function's own, `TaskTimeout`, `WorkerCrashed` or `PythonUnavailable`); only the caller's
 * own abort rejects. A task past its time limit, or aborted while running, has its process killed
 * and a fresh one started in its place at once; so does a process that dies under its task.
 *
 * @example
 * ```ts
 * const pool = new PythonPool({ python: await findPython(), workers: 4 });
 * const outcome = await pool.run({ functionId, functionCode, payload }, { timeoutMs: 10_000 });
 * await pool.close();
 * ```
 */
export class PythonPool {
  /** How many Python tasks run at once (0 without Python). */
  readonly size: number;
  readonly #python: PythonSearch;
  readonly #maxResultBytes: number;
  readonly #memoryMb: number;
  readonly #pythonPath: readonly string[];
  readonly #idle: PythonProcess[] = [];
  readonly #busy = new Set<PythonProcess>();
  #onPartial: ((partial: WorkerPartial) => void) | null = null;
  /** Tasks and micro-batches waiting for a free process, in order. */
  readonly #queue = new Set<PythonSlot>();
  #closed = false;

  /** @param options - interpreter, worker count and limits */
  constructor(options: PythonPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new TypeError(`Expected \`pythonWorkers\` to be a whole number from 1 and up, got \`${String(options.workers)}\``);
    }
    this.#python = options.python;
    this.size = options.python.runtime === null ? 0 : options.workers;
    this.#maxResultBytes = options.maxResultBytes ?? 10_000_000;
    this.#memoryMb = options.memoryMb ?? 2048;
    this.#pythonPath = options.pythonPath ?? [];
  }

  /** Worker processes alive now (idle or busy). */
  get processes(): number {
    return this.#idle.length + this.#busy.size;
  }

  /**
   * Runs one Python task on a worker process, waiting for a free one.
   *
   * @param task - the function's id and code, and the packed arguments
   * @param options - `signal`: abort to cancel (a running process is killed); `timeoutMs`: the time limit
   * @returns the serialized result, or the serialized exception
   * @throws the signal's reason when the caller aborted
   * @example
   * ```ts
   * const outcome = await pool.run(task, { signal: controller.signal, timeoutMs: 5000 });
   * ```
   */
  run(task: WorkerTask, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<WorkerOutcome> {
    const { signal, timeoutMs } = options;
    signal?.throwIfAborted();
    if (this.#python.runtime === null) return Promise.resolve({ exception: serializeErrorAs(errorFormOf(task.payload, task.options ?? null), new PythonUnavailable(this.#python.tried)) });
    if (this.#closed) return Promise.reject(new Error('The Python pool is closed'));
    return new Promise((resolve, reject) => {
      const job: Job = {
        task, signal, timeoutMs, resolve, reject, process: null, onAbort: null,
        slot: {
          start: (worker) => this.#start(job, worker),
          refuse: (error) => {
            this.#release(job);
            reject(error);
          },
        },
      };
      job.onAbort = () => {
        this.#queue.delete(job.slot);
        if (job.process) this.#retire(job.process);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', job.onAbort, { once: true });
      this.#queue.add(job.slot);
      this.#dispatch();
    });
  }

  /**
   * Runs a micro-batch of Python tasks on one worker process ({@link PythonBatchRun}): one write
   * for all of them, each outcome as soon as it is made.
   *
   * @param tasks - the tasks, in order
   * @param options - `onOutcome` for each task that ran
   * @returns the run: `cancel(index)` and `done`
   * @example
   * ```ts
   * const run = pool.runBatch(tasks, { onOutcome: (i, outcome) => send(i, outcome) });
   * await run.done;
   * ```
   */
  runBatch(tasks: readonly BatchTask[], options: { onOutcome: OnBatchOutcome }): PythonBatchRun {
    if (this.#python.runtime === null) {
      const run = new PythonBatchRun([], () => {}, options.onOutcome);
      tasks.forEach((task, i) => options.onOutcome(i, { exception: serializeErrorAs(errorFormOf(task.payload, task.options ?? null), new PythonUnavailable(this.#python.tried)) }, 0));
      return run;
    }
    return new PythonBatchRun(tasks, (slot) => {
      if (this.#closed) return slot.refuse(new Error('The Python pool is closing'));
      this.#queue.add(slot);
      this.#dispatch();
    }, options.onOutcome);
  }

  /**
   * Kills every worker process; queued tasks are refused.
   *
   * @returns when the processes have exited
   * @example
   * ```ts
   * await pool.close();
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    const waiting = [...this.#queue];
    this.#queue.clear();
    for (const slot of waiting) slot.refuse(new Error('The Python pool is closing'));
    const all = [...this.#idle, ...this.#busy];
    this.#idle.length = 0;
    this.#busy.clear();
    for (const worker of all) worker.kill();
    await Promise.all(all.map((worker) => worker.exited));
  }

  #dispatch(): void {
    for (const slot of this.#queue) {
      if (this.#closed || this.#busy.size >= this.size) return;
      this.#queue.delete(slot);
      let worker = this.#idle.pop();
      // An idle process may have died since (killed from outside); it is simply dropped.
      while (worker !== undefined && !worker.alive) worker = this.#idle.pop();
      worker ??= this.#spawn();
      this.#busy.add(worker);
      void slot.start(worker).finally(() => {
        if (this.#busy.delete(worker)) {
          if (worker.alive && !this.#closed) this.#idle.push(worker);
          else this.#replace();
        }
        this.#dispatch();
      });
    }
  }

  /** Runs a single task on a process; resolves when the process is done with it. */
  #start(job: Job, worker: PythonProcess): Promise<void> {
    job.process = worker;
    let timedOut = false;
    const timer =
      job.timeoutMs === undefined
        ? null
        : setTimeout(() => {
            timedOut = true;
            this.#retire(worker);
          }, job.timeoutMs);
    return worker.run(job.task).then(
      (outcome) => job.resolve(outcome),
      (death: Error) => {
        if (job.signal?.aborted) return; // already rejected with the caller's reason
        // In the form the task's submitter reads, as the worker would have written it.
        const form = errorFormOf(job.task.payload, job.task.options ?? null);
        if (timedOut) job.resolve({ exception: serializeErrorAs(form, new TaskTimeout(job.timeoutMs!)) });
        else job.resolve({ exception: serializeErrorAs(form, new WorkerCrashed(death.message, death, 'Python worker process')), crashed: true });
      },
    ).finally(() => {
      if (timer) clearTimeout(timer);
      this.#release(job);
    });
  }

  /**
   * A running task is stopped by killing its process; the pool forgets it at once and starts a
   * replacement, so its slot is free for the next task.
   */
  #retire(worker: PythonProcess): void {
    worker.kill();
    if (this.#busy.delete(worker)) {
      this.#replace();
      this.#dispatch();
    }
  }

  /** Starts a process in place of one that died or was killed, so the next task finds it warm. */
  #replace(): void {
    if (!this.#closed && this.processes < this.size) this.#idle.push(this.#spawn());
  }

  #spawn(): PythonProcess {
    const process = new PythonProcess({ executable: this.#python.runtime!.executable, maxResultBytes: this.#maxResultBytes, memoryMb: this.#memoryMb, pythonPath: this.#pythonPath });
    process.onPartial((partial) => this.#onPartial?.(partial));
    return process;
  }

  /**
   * Where generators' partials go (each before its task's outcome).
   *
   * @param handler - told of each partial
   * @returns nothing
   */
  onPartial(handler: (partial: WorkerPartial) => void): void {
    this.#onPartial = handler;
  }

  /**
   * Gives a streaming task's process more credit.
   *
   * @param taskId - the task
   * @param credit - its new cumulative credit
   * @returns nothing
   */
  credit(taskId: string, credit: PartialCredit): void {
    for (const worker of this.#busy) worker.credit(taskId, credit);
  }

  #release(job: Job): void {
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    job.onAbort = null;
  }
}
