import { spawn, type ChildProcess } from 'node:child_process';
import { delimiter } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { WorkerOutcome, WorkerTask } from '../worker.js';
import type { PartialCredit } from '../../protocol/endpointChannel.js';
import type { WorkerPartial } from '../partialChannel.js';

// Under tsx this module sits beside worker.py in lib/; compiled, the build copies worker.py beside it in dist/.
const WORKER_SCRIPT = new URL('./worker.py', import.meta.url);

/** How much of a worker's stderr is kept to explain its death. */
const STDERR_TAIL = 2000;

/** Options of {@link PythonProcess}. */
export interface PythonProcessOptions {
  /** The interpreter. */
  readonly executable: string;
  /** Results over this many bytes are refused by the worker. */
  readonly maxResultBytes: number;
  /** The worker's address-space limit in MB (`RLIMIT_AS`); 0 for none. */
  readonly memoryMb: number;
  /** Directories put first on the worker's `PYTHONPATH`. */
  readonly pythonPath?: readonly string[];
}

/** One task of a micro-batch as the worker reads it (its function's code goes once per batch). */
export interface PythonBatchTask {
  readonly function_id: string;
  readonly payload: string;
  readonly task_id?: string | undefined;
  readonly options: WorkerTask['options'] | null;
  readonly sandbox_dir?: string | undefined;
  readonly mpi_launcher?: string | undefined;
  /** A generator's first credit (§11). */
  readonly credit?: PartialCredit;
}

/** A micro-batch as the worker reads it. */
export interface PythonBatch {
  readonly code: Readonly<Record<string, string>>;
  readonly tasks: readonly PythonBatchTask[];
}

/** What a running micro-batch hears from its process, position by position, in order. */
export interface PythonBatchListener {
  /** The task at `at` ran: its outcome and run time. */
  outcome(at: number, outcome: WorkerOutcome, ms: number): void;
  /** The task at `at` was skipped, as {@link PythonProcess.skip} asked. */
  skipped(at: number): void;
  /**
   * The process died before the batch ended: killed, crashed, or (`recycled`) ended itself after
   * a MemoryError, in which case the next position never started.
   */
  died(error: Error, recycled: boolean): void;
}

/** A micro-batch on its process: its task ids, the position running now, who listens, skips asked before it was written. */
interface RunningBatch {
  /** Its number on this process: a skip names it, so a late one for an ended batch skips nothing. */
  readonly id: number;
  readonly ids: readonly (string | undefined)[];
  at: number;
  readonly listener: PythonBatchListener;
  written: boolean;
  readonly skips: number[];
}

/**
 * One long-lived CPython worker process running `worker.py`: tasks go in on fd 3 and outcomes
 * come back on fd 4, one JSON line each, so what a function prints (inherited stdout, stderr
 * passed through) never mixes with them. It runs one task, or one micro-batch, at a time;
 * stopping a running task means killing the process.
 *
 * @example
 * ```ts
 * const worker = new PythonProcess({ executable: '/usr/bin/python3', maxResultBytes: 10e6, memoryMb: 1024 });
 * const outcome = await worker.run({ functionId, functionCode, payload });
 * worker.kill();
 * ```
 */
export class PythonProcess {
  readonly #child: ChildProcess;
  readonly #tasks: Writable;
  readonly #lineLimit: number;
  #buffer = '';
  #stderr = '';
  #ready = false;
  #readyWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  #pending: { resolve: (outcome: WorkerOutcome) => void; reject: (error: Error) => void } | null = null;
  #death: Error | null = null;
  #recycled = false;
  #batch: RunningBatch | null = null;
  #batches = 0;
  /** The running task's id, for its partials. */
  #taskId: string | null = null;
  #onPartial: ((partial: WorkerPartial) => void) | null = null;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;

  /** @param options - interpreter and limits */
  constructor(options: PythonProcessOptions) {
    // A little over the result limit: the outcome's JSON escapes the result once more.
    this.#lineLimit = options.maxResultBytes * 2 + 65_536;
    this.#child = spawn(options.executable, ['-u', fileURLToPath(WORKER_SCRIPT), String(options.maxResultBytes), String(options.memoryMb)], {
      stdio: ['ignore', 'inherit', 'pipe', 'pipe', 'pipe'],
      windowsHide: true,
      ...(options.pythonPath?.length ? { env: { ...process.env, PYTHONPATH: [...options.pythonPath, ...(process.env.PYTHONPATH ? [process.env.PYTHONPATH] : [])].join(delimiter) } } : {}),
    });
    this.#tasks = this.#child.stdio[3] as Writable;
    const outcomes = this.#child.stdio[4] as Readable;
    // The process may die at any moment: writes to it then fail, and the exit says why.
    this.#tasks.on('error', () => {});
    outcomes.on('error', () => {});
    this.#child.stderr?.on('error', () => {});
    this.#child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      process.stderr.write(chunk);
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL);
    });
    outcomes.setEncoding('utf8').on('data', (chunk: string) => this.#read(chunk));
    this.exited = new Promise((resolve) => {
      this.#child.on('error', (error) => {
        this.#die(new Error(`it could not be started: ${error.message}`));
        resolve();
      });
      this.#child.on('exit', (code, signal) => {
        this.#die(new Error(signal ? `the Python process was killed by ${signal}` : `the Python process exited with code ${code}`));
        resolve();
      });
    });
  }

  /** Whether it is still alive (not killed, not exited). */
  get alive(): boolean {
    return this.#death === null;
  }

  /**
   * Runs one task; the process must not be running another.
   *
   * @param task - function id, code and payload
   * @returns the worker's outcome: a serialized result or exception
   * @throws Error describing the process's death when it dies before answering
   */
  async run(task: WorkerTask): Promise<WorkerOutcome> {
    if (this.#pending !== null || this.#batch !== null) throw new Error('A Python worker runs one task at a time');
    if (!this.#ready) await new Promise<void>((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
    if (this.#death) throw this.#death;
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#taskId = task.taskId ?? null;
      this.#tasks.write(
        `${JSON.stringify({
          function_id: task.functionId,
          function_code: task.functionCode,
          payload: task.payload,
          task_id: task.taskId,
          options: task.options ?? null,
          sandbox_dir: task.sandboxDir,
          mpi_launcher: task.mpiLauncher,
          ...(task.credit === undefined ? {} : { credit: task.credit }),
        })}\n`,
      );
    });
  }

  /**
   * Runs a micro-batch: its tasks in order, each outcome told as it comes. The process must be
   * idle; it is again once the listener has heard of every position (or of its death).
   *
   * @param batch - the functions' code and the tasks
   * @param listener - told of each position's outcome or skip, and of the process's death
   * @returns nothing: the listener hears everything, a process that dies first included
   */
  runBatch(batch: PythonBatch, listener: PythonBatchListener): void {
    if (this.#pending !== null || this.#batch !== null) throw new Error('A Python worker runs one task at a time');
    const running: RunningBatch = { id: this.#batches++, ids: batch.tasks.map((task) => task.task_id), at: 0, listener, written: false, skips: [] };
    this.#batch = running;
    this.#taskId = running.ids[0] ?? null;
    const write = (): void => {
      if (this.#batch !== running) return;
      running.written = true;
      this.#tasks.write(`${JSON.stringify({ batch: { ...batch, id: running.id } })}\n${running.skips.map((at) => `${JSON.stringify({ skip: at, batch: running.id })}\n`).join('')}`);
    };
    if (this.#death !== null) this.#die(this.#death);
    else if (this.#ready) write();
    else this.#readyWaiters.push({ resolve: write, reject: () => {} }); // a death before ready reaches the listener through #die
  }

  /**
   * Asks the running micro-batch to skip a position it has not started (a cancelled task). The
   * worker answers `skipped`, or the task's outcome if it had started it.
   *
   * @param at - the position in the batch
   * @returns nothing
   */
  skip(at: number): void {
    const batch = this.#batch;
    if (batch === null || this.#death !== null) return;
    if (batch.written) this.#tasks.write(`${JSON.stringify({ skip: at, batch: batch.id })}\n`);
    else batch.skips.push(at);
  }

  /**
   * Where the running task's partials go (a generator's yields, §11).
   *
   * @param handler - told of each partial
   * @returns nothing
   */
  onPartial(handler: (partial: WorkerPartial) => void): void {
    this.#onPartial = handler;
  }

  /**
   * Gives a task of this process more credit (the running one, or one of its micro-batch not
   * answered yet): the worker keeps it until the task's generator waits for some.
   *
   * @param taskId - the task (a credit for another is dropped)
   * @param credit - its new cumulative credit
   * @returns nothing
   */
  credit(taskId: string, credit: PartialCredit): void {
    if (this.#death !== null) return;
    const batch = this.#batch;
    const here = batch === null ? this.#taskId === taskId : batch.ids.indexOf(taskId, batch.at) >= 0;
    if (here) this.#tasks.write(`${JSON.stringify({ credit, task_id: taskId })}\n`);
  }

  /** Stops the process at once (SIGKILL); a task it was running fails with the reason. */
  kill(): void {
    this.#die(new Error('the Python process was stopped'));
    this.#child.kill('SIGKILL');
  }

  #read(chunk: string): void {
    this.#buffer += chunk;
    let newline: number;
    while ((newline = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(newline + 1);
      this.#message(line);
    }
    if (this.#buffer.length > this.#lineLimit) {
      // Only a function writing to the worker's own pipe gets here: the worker checks the limit itself.
      this.#die(new Error('the Python process wrote an outcome over the result limit'));
      this.#child.kill('SIGKILL');
    }
  }

  #message(line: string): void {
    let message: { ready?: boolean; result?: string; exception?: string; recycle?: boolean; partials?: number; partial?: { seq?: unknown; value?: unknown }; at?: number; skipped?: boolean; ms?: number };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      // The worker writes only JSON lines on this channel (user code prints go to its stdout and
      // stderr, not here): a line that is not JSON is a torn write of a dying process, whose exit
      // fails its task with WorkerCrashed.
      return;
    }
    if (message.ready === true) {
      this.#ready = true;
      for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
      return;
    }
    if (message.partial !== undefined) {
      // A generator's yield, before its outcome on the same pipe (§11).
      const { seq, value } = message.partial;
      if (this.#taskId !== null && Number.isSafeInteger(seq) && typeof value === 'string') this.#onPartial?.({ type: 'partial', taskId: this.#taskId, seq: seq as number, value });
      return;
    }
    const extra = { ...(Number.isSafeInteger(message.partials) ? { partials: message.partials! } : {}), ...(typeof message.ms === 'number' && message.at === undefined ? { ms: message.ms } : {}) };
    const outcome: WorkerOutcome | null =
      typeof message.result === 'string' ? { result: message.result, ...extra } : typeof message.exception === 'string' ? { exception: message.exception, ...extra } : null;
    const batch = this.#batch;
    if (batch !== null && Number.isSafeInteger(message.at)) {
      if (message.skipped !== true && outcome === null) {
        // Its task fails with WorkerCrashed, the rest of the batch goes on in a fresh process.
        this.#die(new Error('the Python process answered without a result or an exception'));
        this.#child.kill('SIGKILL');
        return;
      }
      this.#batchMessage(batch, message.at!, message.skipped === true ? null : outcome, typeof message.ms === 'number' ? message.ms : 0, message.recycle === true);
      return;
    }
    const pending = this.#pending;
    this.#pending = null;
    this.#taskId = null;
    // The worker exits after this outcome (a MemoryError): it must not be given another task.
    if (message.recycle === true) this.#recycle();
    if (pending === null) return;
    if (outcome !== null) pending.resolve(outcome);
    else pending.reject(new Error('the Python process answered without a result or an exception'));
  }

  /** A batch position's answer: its outcome (null when skipped). */
  #batchMessage(batch: RunningBatch, at: number, outcome: WorkerOutcome | null, ms: number, recycle: boolean): void {
    batch.at = at + 1;
    this.#taskId = batch.ids[batch.at] ?? null;
    const last = batch.at >= batch.ids.length;
    // Done with the batch before telling of its last answer: the listener may give the process the next.
    if (last) this.#batch = null;
    if (recycle) this.#recycle();
    if (outcome === null) batch.listener.skipped(at);
    else batch.listener.outcome(at, outcome, ms);
  }

  #recycle(): void {
    this.#recycled = true;
    this.#death ??= new Error('the Python process ended itself after a MemoryError');
  }

  #die(reason: Error): void {
    if (this.#death === null) {
      const tail = this.#stderr.trim().split('\n').slice(-3).join(' | ');
      this.#death = tail && !/stopped/.test(reason.message) ? new Error(`${reason.message} (stderr: ${tail})`) : reason;
    }
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(this.#death);
    const pending = this.#pending;
    this.#pending = null;
    pending?.reject(this.#death);
    const batch = this.#batch;
    this.#batch = null;
    batch?.listener.died(this.#death, this.#recycled);
  }
}
