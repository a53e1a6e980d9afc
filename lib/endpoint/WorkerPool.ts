import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { serializeError } from '../serialize/serialize.js';
import { TaskTimeout } from './TaskTimeout.js';
import { WorkerBatchRun, type BatchTask, type OnBatchOutcome } from './WorkerBatchRun.js';
import { describeCrash, WorkerCrashed } from './WorkerCrashed.js';
import type { WorkerOutcome, WorkerTask } from './worker.js';
import type { PartialCredit } from '../protocol/endpointChannel.js';
import { PARTIALS_CHANNEL, type WorkerCredit, type WorkerPartial } from './partialChannel.js';

// Under tsx this module is TypeScript and so is its worker; compiled, both are JavaScript.
const WORKER_FILE = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url).href;

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /**
   * Worker threads; each runs one task at a time.
   * @default availableParallelism()
   */
  readonly workers?: number;
  /**
   * The heap limit of each worker, in MB; a task that exceeds it fails with `WorkerCrashed`.
   * @default 512
   */
  readonly maxOldGenerationSizeMb?: number;
}

/**
 * A pool of worker threads that run task functions: a thin facade over piscina, which replaces
 * a worker whenever one dies, is stopped by a timeout, or is aborted. Outcomes are always
 * serialized (a result or an exception); only the caller's own abort rejects.
 *
 * @example
 * ```ts
 * const pool = new WorkerPool({ workers: 4 });
 * const outcome = await pool.run({ functionId, functionCode, payload }, { timeoutMs: 10_000 });
 * await pool.close();
 * ```
 */
export class WorkerPool {
  /** How many tasks run at once. */
  readonly size: number;
  readonly #piscina: Piscina;
  /** Generators' partials from the workers, and credits to them (§11). */
  readonly #channel: BroadcastChannel;
  #onPartial: ((partial: WorkerPartial) => void) | null = null;

  /** @param options - worker count and memory limit */
  constructor(options: WorkerPoolOptions = {}) {
    this.size = options.workers ?? availableParallelism();
    if (!Number.isInteger(this.size) || this.size < 1) {
      throw new TypeError(`Expected \`workers\` to be a whole number from 1 and up, got \`${String(options.workers)}\``);
    }
    this.#piscina = new Piscina({
      filename: WORKER_FILE,
      minThreads: this.size,
      maxThreads: this.size,
      concurrentTasksPerWorker: 1,
      idleTimeout: Infinity,
      resourceLimits: { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb ?? 512 },
    });
    // Made once the options are checked (a refused pool leaves nothing open); listening never
    // keeps the process alive, and close() closes it.
    this.#channel = new BroadcastChannel(PARTIALS_CHANNEL);
    (this.#channel as BroadcastChannel & { unref(): void }).unref();
    this.#channel.onmessage = (event) => {
      const message = (event as MessageEvent<WorkerPartial | WorkerCredit>).data;
      if (message.type === 'partial') this.#onPartial?.(message);
    };
  }

  /**
   * Where generators' partials go as the workers stream them (one handler; each partial names its
   * task, and a process with several pools hears all of theirs: the handler keeps its own).
   *
   * @param handler - told of each partial, in each task's order
   * @returns nothing
   */
  onPartial(handler: (partial: WorkerPartial) => void): void {
    this.#onPartial = handler;
  }

  /**
   * Gives a streaming task's worker more credit.
   *
   * @param taskId - the task
   * @param credit - its new cumulative credit
   * @returns nothing
   */
  credit(taskId: string, credit: PartialCredit): void {
    this.#channel.postMessage({ type: 'credit', taskId, count: credit.count, bytes: credit.bytes } satisfies WorkerCredit);
  }

  /**
   * Runs one task on a worker.
   *
   * @param task - the function's id and code, and the packed arguments
   * @param options - `signal`: abort to cancel (a running worker is stopped and replaced); `timeoutMs`: the time limit
   * @returns the serialized result, or the serialized exception (the function's own, `TaskTimeout` or `WorkerCrashed`)
   * @throws the signal's reason when the caller aborted
   * @example
   * ```ts
   * const controller = new AbortController();
   * const outcome = pool.run(task, { signal: controller.signal });
   * controller.abort(); // outcome rejects; the worker is replaced
   * ```
   */
  async run(task: WorkerTask, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<WorkerOutcome> {
    const { signal, timeoutMs } = options;
    signal?.throwIfAborted();
    if (timeoutMs === undefined) {
      // No time limit: the caller's signal is enough (one signal fewer per task on the hot path).
      try {
        return (await this.#piscina.run(task, signal ? { signal } : {})) as WorkerOutcome;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        return { exception: serializeError(new WorkerCrashed(describeCrash(error), error)), crashed: true };
      }
    }
    const controller = new AbortController();
    let timedOut = false;
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new TaskTimeout(timeoutMs));
    }, timeoutMs);
    try {
      return (await this.#piscina.run(task, { signal: controller.signal })) as WorkerOutcome;
    } catch (error) {
      if (timedOut) return { exception: serializeError(new TaskTimeout(timeoutMs)) };
      if (signal?.aborted) throw signal.reason;
      return { exception: serializeError(new WorkerCrashed(describeCrash(error), error)), crashed: true };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Runs a micro-batch: several tasks on one worker, in order, in one dispatch, each outcome
   * reported as soon as it is made. Each task keeps its own cancellation and time limit (see
   * {@link WorkerBatchRun}); a worker that dies fails only the task it was running.
   *
   * @param tasks - the tasks, in the order to run them
   * @param options - `onOutcome` for each task that ran; `maxResultBytes`, the result limit of each
   * @returns the run: `cancel(index)` and `done`
   * @example
   * ```ts
   * const run = pool.runBatch(tasks, { onOutcome: (i, outcome, ms) => report(tasks[i], outcome) });
   * await run.done;
   * ```
   */
  runBatch(tasks: readonly BatchTask[], options: { onOutcome: OnBatchOutcome; maxResultBytes?: number }): WorkerBatchRun {
    return new WorkerBatchRun(
      tasks,
      (batch, port, signal) => this.#piscina.run(batch, { name: 'runBatch', transferList: [port] as never, signal }),
      options.onOutcome,
      options.maxResultBytes,
    );
  }

  /**
   * Stops every worker.
   *
   * @returns when the threads have exited
   * @example
   * ```ts
   * await pool.close();
   * ```
   */
  async close(): Promise<void> {
    this.#channel.close();
    await this.#piscina.destroy();
  }
}
