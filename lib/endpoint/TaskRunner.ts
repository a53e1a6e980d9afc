import type { EndpointEngineReport, EndpointLanguages, PartialCredit } from '../protocol/endpointChannel.js';
import type { WorkerPartial } from './partialChannel.js';
import { codeLanguage, type Language } from '../serialize/codeLanguage.js';
import type { PythonSearch } from './python/findPython.js';
import { PythonPool } from './python/PythonPool.js';
import type { WorkerOutcome } from './worker.js';
import type { BatchRun } from './BatchRun.js';
import type { BatchTask, OnBatchOutcome } from './WorkerBatchRun.js';
import type { EngineRunOptions, EngineTask, TaskEngine } from './engine/TaskEngine.js';
import { WorkerPool } from './WorkerPool.js';

/** Options of {@link TaskRunner}. */
export interface TaskRunnerOptions {
  readonly workers?: number;
  readonly maxOldGenerationSizeMb?: number;
  readonly python: PythonSearch;
  readonly pythonWorkers?: number;
  readonly maxResultBytes?: number;
  readonly pythonMemoryMb?: number;
  readonly pythonPath?: readonly string[];
}

/**
 * Runs each task on the workers of its function's language: JavaScript (`js` code) on the
 * {@link WorkerPool}'s threads, Python (Globus Compute's code ids) on the {@link PythonPool}'s
 * processes. The same contract as either pool's `run`. It is the endpoint's `local` engine (its
 * own pool, no provider), and what each worker manager of the `cluster` engine runs.
 *
 * @example
 * ```ts
 * const runner = new TaskRunner({ workers: 4, python: await findPython() });
 * const outcome = await runner.run(task, { signal });
 * ```
 */
export class TaskRunner implements TaskEngine {
  readonly #javascript: WorkerPool;
  readonly #python: PythonPool;
  readonly #running: Record<Language, number> = { javascript: 0, python: 0 };
  /** Which languages run here, as the endpoint reports them to the service. */
  readonly languages: EndpointLanguages;

  /** @param options - both pools' sizes and limits, and the Python found */
  constructor(options: TaskRunnerOptions) {
    this.#javascript = new WorkerPool({
      ...(options.workers === undefined ? {} : { workers: options.workers }),
      ...(options.maxOldGenerationSizeMb === undefined ? {} : { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb }),
    });
    this.#python = new PythonPool({
      python: options.python,
      workers: options.pythonWorkers ?? this.#javascript.size,
      ...(options.maxResultBytes === undefined ? {} : { maxResultBytes: options.maxResultBytes }),
      ...(options.pythonMemoryMb === undefined ? {} : { memoryMb: options.pythonMemoryMb }),
      ...(options.pythonPath === undefined ? {} : { pythonPath: options.pythonPath }),
    });
    const runtime = options.python.runtime;
    this.languages = {
      javascript: { version: process.version, workers: this.#javascript.size },
      python:
        runtime === null
          ? { available: false, reason: `no CPython 3 found (${options.python.tried.join('; ')})` }
          : { available: true, version: runtime.version, executable: runtime.executable, dill: runtime.dill, workers: this.#python.size },
    };
  }

  /** How many tasks run at once: the worker threads and the Python processes. */
  get size(): number {
    return this.#javascript.size + this.#python.size;
  }

  /**
   * How many tasks of a language can run at once. Without Python, Python tasks are not limited:
   * each fails at once with `PythonUnavailable`.
   *
   * @param language - the language
   * @returns the worker count
   */
  capacity(language: Language): number {
    if (language === 'javascript') return this.#javascript.size;
    return this.languages.python.available ? this.#python.size : Infinity;
  }

  /**
   * How many workers of a language are busy now (a micro-batch keeps one worker).
   *
   * @param language - the language
   * @returns the count
   */
  running(language: Language): number {
    return this.#running[language];
  }

  /**
   * Whether a task of a language would start on a worker at once.
   *
   * @param language - the language
   * @returns true when one of its workers is free
   */
  hasRoom(language: Language): boolean {
    return this.#running[language] < this.capacity(language);
  }

  /**
   * Runs one task on a worker of its language.
   *
   * @param task - the function's id and code, and the packed arguments
   * @param options - `signal` to cancel, `timeoutMs` for the time limit
   * @returns the serialized result or exception
   * @throws the signal's reason when the caller aborted
   * @example
   * ```ts
   * const outcome = await runner.run({ functionId, functionCode: pack([serializePythonSource('f', src)]), payload }, { timeoutMs: 5000 });
   * ```
   */
  async run(task: EngineTask, options: EngineRunOptions = {}): Promise<WorkerOutcome> {
    const language = codeLanguage(task.functionCode);
    // The whole task goes to the worker: a Python worker names a task's sandbox after its id, and reads its options.
    this.#running[language]++;
    try {
      return await (language === 'python' ? this.#python.run(task, options) : this.#javascript.run(task, options));
    } finally {
      this.#running[language]--;
    }
  }

  /**
   * Where generators' partials go (JavaScript worker threads; Python processes).
   *
   * @param handler - told of each partial
   * @returns nothing
   */
  onPartial(handler: (partial: WorkerPartial) => void): void {
    this.#javascript.onPartial(handler);
    this.#python.onPartial(handler);
  }

  /**
   * Gives a streaming task more credit, wherever it runs.
   *
   * @param taskId - the task
   * @param credit - its new cumulative credit
   * @returns nothing
   */
  credit(taskId: string, credit: PartialCredit): void {
    this.#javascript.credit(taskId, credit);
    this.#python.credit(taskId, credit);
  }

  /**
   * Runs a micro-batch of one language's tasks on one worker: a thread
   * ({@link WorkerPool.runBatch}) or a CPython process ({@link PythonPool.runBatch}).
   *
   * @param tasks - the tasks, in order, all in the language of the first one's code
   * @param options - `onOutcome` for each task that ran; `maxResultBytes`
   * @returns the run: `cancel(index)` and `done`
   * @example
   * ```ts
   * const run = runner.runBatch(tasks, { onOutcome: (i, outcome) => send(i, outcome) });
   * ```
   */
  runBatch(tasks: readonly BatchTask[], options: { onOutcome: OnBatchOutcome; maxResultBytes?: number }): BatchRun {
    const language = tasks.length === 0 ? 'javascript' : codeLanguage(tasks[0]!.functionCode);
    this.#running[language]++;
    const run = language === 'python' ? this.#python.runBatch(tasks, options) : this.#javascript.runBatch(tasks, options);
    void run.done.then(() => this.#running[language]--);
    return run;
  }

  /**
   * Its state, as the endpoint reports it: the local engine, no provider, no blocks.
   *
   * @returns the report
   */
  report(): EndpointEngineReport {
    const total = this.#javascript.size + (this.languages.python.available ? this.#python.size : 0);
    const busy = this.#running.javascript + (this.languages.python.available ? this.#running.python : 0);
    return { engine: 'local', provider: null, blocks: { pending: 0, running: 0, draining: 0, failed: 0 }, managers: 0, workers: { total, free: Math.max(0, total - busy) }, state: 'ok', last_failure: null };
  }

  /**
   * Stops every worker of both languages.
   *
   * @returns when all have exited
   * @example
   * ```ts
   * await runner.close();
   * ```
   */
  async close(): Promise<void> {
    await Promise.all([this.#javascript.close(), this.#python.close()]);
  }
}
