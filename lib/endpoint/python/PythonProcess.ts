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

/**
 * One long-lived CPython worker process running `worker.py`: tasks go in on fd 3 and outcomes
 * come back on fd 4, one JSON line each, so what a function prints (inherited stdout, stderr
 * passed through) never mixes with them. It runs one task at a time; stopping a task means
 * killing the process.
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
    if (this.#pending !== null) throw new Error('A Python worker runs one task at a time');
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
   * Where the running task's partials go (a generator's yields, §11).
   *
   * @param handler - told of each partial
   * @returns nothing
   */
  onPartial(handler: (partial: WorkerPartial) => void): void {
    this.#onPartial = handler;
  }

  /**
   * Gives the running task more credit: the worker reads it when its generator waits for some.
   *
   * @param taskId - the task (a credit for another is dropped)
   * @param credit - its new cumulative credit
   * @returns nothing
   */
  credit(taskId: string, credit: PartialCredit): void {
    if (this.#taskId !== taskId || this.#death !== null) return;
    this.#tasks.write(`${JSON.stringify({ credit })}\n`);
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
    let message: { ready?: boolean; result?: string; exception?: string; recycle?: boolean; partials?: number; partial?: { seq?: unknown; value?: unknown } };
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
    const pending = this.#pending;
    this.#pending = null;
    this.#taskId = null;
    const partials = Number.isSafeInteger(message.partials) ? { partials: message.partials! } : {};
    // The worker exits after this outcome (a MemoryError): it must not be given another task.
    if (message.recycle === true) this.#death ??= new Error('the Python process ended itself after a MemoryError');
    if (pending === null) return;
    if (typeof message.result === 'string') pending.resolve({ result: message.result, ...partials });
    else if (typeof message.exception === 'string') pending.resolve({ exception: message.exception, ...partials });
    else pending.reject(new Error('the Python process answered without a result or an exception'));
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
  }
}
