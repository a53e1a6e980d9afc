import { FRAME_LIMIT_BYTES } from '../../protocol/endpointChannel.js';
import { decodeFrame, encodeFrames } from '../../protocol/frames.js';
import { hostname } from 'node:os';
import { v4 as uuidv4 } from 'uuid';
import WebSocket from 'ws';
import { FunctionCache } from '../FunctionCache.js';
import { findPython } from '../python/findPython.js';
import { TaskRunner } from '../TaskRunner.js';
import type { WorkerOutcome } from '../worker.js';
import { BLOCK_START_ENV, MANAGER_FRAME_MAX_BYTES, type InterchangeToManager, type ManagerTaskMessage, type ManagerToInterchange } from './managerChannel.js';
import { drainMs } from '../engine/drainMs.js';
import { PartialStreams } from '../PartialStreams.js';

/** Options of {@link WorkerManager.start}. */
export interface WorkerManagerOptions {
  /** The interchange's URL, `ws://host:port/`. */
  readonly interchangeUrl: string;
  /** The endpoint process's manager secret. */
  readonly secret: string;
  /** The block this manager belongs to. */
  readonly blockId: string;
  /** Worker threads, for JavaScript tasks. */
  readonly workers: number;
  /** Python worker processes. @default workers */
  readonly pythonWorkers?: number;
  /** The Python interpreter. @default found as the endpoint finds it */
  readonly python?: string;
  /** The block's walltime, in ms, from its job's start (`$FUNCX_BLOCK_START_MS`, else this manager's start): it exits by then. @default none */
  readonly walltimeMs?: number;
  /** When its job started (epoch ms). @default `$FUNCX_BLOCK_START_MS`, else now */
  readonly startedAtMs?: number;
  /** How long before its walltime it stops taking tasks, in ms. @default a quarter of the walltime, at most 60 s */
  readonly drainMs?: number;
  /** The largest serialized result of a Python task, in bytes. @default 10_000_000 */
  readonly maxResultBytes?: number;
  /** Address-space limit of each Python worker, in MB. @default 2048 */
  readonly pythonMemoryMb?: number;
  /** Heap limit of each worker thread, in MB. @default 512 */
  readonly maxOldGenerationSizeMb?: number;
}

/**
 * A worker manager: the process a block runs on each of its nodes. It connects back to its
 * endpoint's interchange with the manager secret, says how many workers it has, runs each task
 * it is sent on its {@link TaskRunner} (worker threads and Python processes, as the endpoint's
 * own pool does), and sends the results back. Near its walltime it says it is draining: the
 * interchange sends it no new task and tells it to exit once the tasks it was sent are done. It exits when its connection closes, when told to
 * shut down, and on SIGTERM (a scheduler cancelling its job).
 *
 * @example
 * ```ts
 * const manager = await WorkerManager.start({ interchangeUrl, secret, blockId: '0', workers: 4 });
 * await manager.stopped;
 * ```
 */
export class WorkerManager {
  readonly #options: WorkerManagerOptions;
  readonly #runner: TaskRunner;
  readonly #streams: PartialStreams;
  readonly #socket: WebSocket;
  readonly #functions = new FunctionCache();
  /** How to stop each running task (deleted as each ends). */
  readonly #running = new Map<string, AbortController>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #stopped: Promise<string>;
  #resolveStopped!: (reason: string) => void;
  #outbox: ManagerToInterchange[] = [];
  #flushScheduled = false;
  #draining = false;
  #closing = false;

  private constructor(options: WorkerManagerOptions, runner: TaskRunner, socket: WebSocket) {
    this.#options = options;
    this.#runner = runner;
    // A generator's partials go before its result, on the same connection (§11).
    this.#streams = new PartialStreams((message) => this.#send(message), (taskId, credit) => runner.credit(taskId, credit));
    runner.onPartial((partial) => this.#streams.partial(partial));
    this.#socket = socket;
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
  }

  /**
   * Starts the workers, connects and registers.
   *
   * @param options - the interchange, the secret, the block, the workers, the walltime
   * @returns the manager, registered
   * @throws when the interchange cannot be reached or refuses the secret
   */
  static async start(options: WorkerManagerOptions): Promise<WorkerManager> {
    const python = await findPython(options.python);
    const runner = new TaskRunner({
      workers: options.workers,
      pythonWorkers: options.pythonWorkers ?? options.workers,
      python,
      ...(options.maxResultBytes === undefined ? {} : { maxResultBytes: options.maxResultBytes }),
      ...(options.pythonMemoryMb === undefined ? {} : { pythonMemoryMb: options.pythonMemoryMb }),
      ...(options.maxOldGenerationSizeMb === undefined ? {} : { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb }),
    });
    const socket = new WebSocket(options.interchangeUrl, { headers: { authorization: `Bearer ${options.secret}` }, maxPayload: MANAGER_FRAME_MAX_BYTES });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
        socket.once('unexpected-response', (_request, response) => {
          response.resume();
          reject(new Error(`The interchange answered HTTP ${response.statusCode ?? 0} (a wrong manager secret?)`));
        });
      });
    } catch (error) {
      socket.terminate();
      await runner.close();
      throw error;
    }
    const manager = new WorkerManager(options, runner, socket);
    manager.#listen();
    return manager;
  }

  /** Settles with why it stopped, once its workers have exited. */
  get stopped(): Promise<string> {
    return this.#stopped;
  }

  /**
   * Stops at once: running tasks are dropped (the interchange sends them elsewhere), workers end,
   * the connection closes.
   *
   * @param reason - why, for the log
   * @returns when its workers have exited
   */
  async close(reason = 'closed'): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const timer of this.#timers) clearTimeout(timer);
    for (const controller of this.#running.values()) controller.abort(new Error(reason));
    this.#running.clear();
    this.#flush();
    this.#socket.close(1000);
    await this.#runner.close();
    this.#resolveStopped(reason);
  }

  #listen(): void {
    const { walltimeMs } = this.#options;
    this.#socket.on('message', (data, isBinary) => {
      if (!isBinary) this.#receive(String(data));
    });
    // Its close follows and ends the manager, with the reason; the error itself adds nothing.
    this.#socket.on('error', () => {});
    this.#socket.on('close', () => void this.close('the interchange closed the connection'));
    this.#send({ type: 'register', block_id: this.#options.blockId, manager_id: uuidv4(), host: hostname(), pid: process.pid, languages: this.#runner.languages });
    if (walltimeMs !== undefined) {
      const drainFor = this.#options.drainMs ?? drainMs(walltimeMs);
      const fromEnv = Number(process.env[BLOCK_START_ENV]);
      const started = this.#options.startedAtMs ?? (Number.isFinite(fromEnv) && fromEnv > 0 && fromEnv <= Date.now() ? fromEnv : Date.now());
      const left = walltimeMs - (Date.now() - started);
      this.#timers.push(
        setTimeout(() => this.#drain(`its walltime of ${walltimeMs} ms ends in ${drainFor} ms`), Math.max(0, left - drainFor)),
        // Whatever still runs at the walltime is lost anyway: the scheduler ends the job.
        setTimeout(() => void this.close('its walltime passed'), Math.max(0, left)),
      );
    }
  }

  /** The interchange sends no task after it reads this, and tells it to exit once its tasks are done (it knows what is in flight). */
  #drain(reason: string): void {
    this.#draining = true;
    this.#send({ type: 'draining', reason });
  }

  #receive(text: string): void {
    // A frame that is not JSON is dropped; the connection goes on.
    for (const message of (decodeFrame(text) ?? []) as InterchangeToManager[]) {
      if (typeof message !== 'object' || message === null) continue;
      if (message.type === 'shutdown') return void this.close(this.#draining ? 'drained before its walltime' : 'told to exit by the endpoint');
      if (message.type === 'cancel') this.#running.get(message.task_id)?.abort(new Error('Cancelled'));
      else if (message.type === 'credit' && typeof message.task_id === 'string' && Number.isSafeInteger(message.count) && Number.isSafeInteger(message.bytes)) this.#streams.credit(message.task_id, { count: message.count, bytes: message.bytes });
      else if (message.type === 'task' && typeof message.task_id === 'string') this.#start(message);
    }
  }

  #start(task: ManagerTaskMessage): void {
    if (this.#closing || this.#running.has(task.task_id)) return;
    if (typeof task.function_code === 'string') this.#functions.set(task.function_id, task.function_code);
    const code = task.function_code ?? this.#functions.get(task.function_id);
    if (code === undefined) return this.#send({ type: 'need_function', task_id: task.task_id });
    const controller = new AbortController();
    this.#running.set(task.task_id, controller);
    this.#streams.begin(task.task_id, task.credit);
    this.#runner
      .run(
        { functionId: task.function_id, functionCode: code, payload: task.payload, taskId: task.task_id, ...(task.credit === undefined ? {} : { credit: task.credit }), ...(task.max_result_bytes === undefined ? {} : { maxResultBytes: task.max_result_bytes }) },
        { signal: controller.signal, ...(task.timeout_ms === undefined ? {} : { timeoutMs: task.timeout_ms }) },
      )
      .then(
        async (outcome: WorkerOutcome) => {
          await this.#streams.end(task.task_id, outcome.partials);
          if (this.#running.get(task.task_id) === controller) this.#send({ type: 'result', task_id: task.task_id, ...outcome });
        },
        () => {
          // Cancelled, or the manager is closing: nobody waits for an answer.
          this.#streams.forget(task.task_id);
        },
      )
      .finally(() => {
        if (this.#running.get(task.task_id) === controller) this.#running.delete(task.task_id);
      });
  }

  #send(message: ManagerToInterchange): void {
    this.#outbox.push(message);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#outbox.length === 0 || this.#socket.readyState !== WebSocket.OPEN) return;
    const batch = this.#outbox;
    this.#outbox = [];
    for (const { text } of encodeFrames(batch, FRAME_LIMIT_BYTES)) this.#socket.send(text);
  }
}
