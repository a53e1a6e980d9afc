import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { EndpointOptions } from '../endpoint/EndpointOptions.js';
import { backoffDelay, type BackoffOptions } from '../reactive/backoff.js';
import type { FromEndpointChild, ToEndpointChild } from './endpointChild.js';

// Under tsx this module is TypeScript and so is the child's entry; compiled, both are JavaScript.
const UNDER_TSX = import.meta.url.endsWith('.ts');
const CHILD_FILE = new URL(UNDER_TSX ? './endpointChild.ts' : './endpointChild.js', import.meta.url);

/** Options of {@link LocalEndpoint.start}: the endpoint's, plus how restarts back off. */
export type LocalEndpointOptions = Omit<EndpointOptions, 'onConnectError' | 'onTaskRunning' | 'crashedTasks' | 'retryFirstConnection'> & {
  /**
   * How restarts of a dead endpoint process back off (the delay grows while the process keeps
   * dying before it is ready).
   * @default { initialDelayMs: 100, maxDelayMs: 5000 }
   */
  readonly restart?: BackoffOptions;
  /**
   * How long `stop()` waits for the process to stop by itself before it kills it.
   * @default 5000
   */
  readonly stopTimeoutMs?: number;
};

/**
 * An endpoint in its own child process, so the functions it runs can neither read the memory of
 * the process that started it nor stop it. The secret goes to the child in an IPC message, never
 * on its command line. A dead child is restarted with backoff; the tasks that were running when
 * it died fail with `WorkerCrashed` (the service sends them again, and the new process fails
 * them rather than run a function that may kill it again).
 *
 * @example
 * ```ts
 * const endpoint = await LocalEndpoint.start({ serviceUrl, endpointId, secret, workers: 4 });
 * console.log(endpoint.pid);
 * await endpoint.stop();
 * ```
 */
export class LocalEndpoint {
  readonly #options: LocalEndpointOptions;
  readonly #running = new Set<string>();
  #child: ChildProcess | null = null;
  #pid = 0;
  #restarts = 0;
  #attempt = 0;
  #restartTimer: NodeJS.Timeout | null = null;
  #stopping: Promise<void> | null = null;
  #failure: Error | null = null;

  private constructor(options: LocalEndpointOptions) {
    this.#options = options;
  }

  /**
   * Forks the endpoint process and waits until it is connected to the service.
   *
   * @param options - the endpoint's options, restart backoff, stop timeout
   * @returns the running endpoint
   * @throws when the process cannot start or connect (refused credentials, for one)
   * @example
   * ```ts
   * const endpoint = await LocalEndpoint.start({ serviceUrl, endpointId, secret });
   * ```
   */
  static async start(options: LocalEndpointOptions): Promise<LocalEndpoint> {
    const endpoint = new LocalEndpoint(options);
    await endpoint.#spawn({ taskIds: [], reason: '' });
    return endpoint;
  }

  /** The endpoint process's id (the current one, after restarts). */
  get pid(): number {
    return this.#pid;
  }

  /** How many times the process was restarted after it died. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Whether an endpoint process is up and has connected once. */
  get ready(): boolean {
    return this.#child !== null && this.#pid !== 0;
  }

  /** Why the endpoint stopped for good by itself (refused credentials), if it did. */
  get failure(): Error | null {
    return this.#failure;
  }

  /**
   * Stops the process (it closes its connection and workers) and restarts no more.
   *
   * @returns when the process has exited
   * @example
   * ```ts
   * await endpoint.stop();
   * ```
   */
  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  async #stop(): Promise<void> {
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    const child = this.#child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'close');
    if (child.connected) child.send({ type: 'stop' } satisfies ToEndpointChild);
    else child.kill('SIGKILL');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.#options.stopTimeoutMs ?? 5000);
    await exited;
    clearTimeout(timer);
  }

  /** Forks one process; resolves when it is ready, rejects when it stops before that. */
  #spawn(crashedTasks: { taskIds: readonly string[]; reason: string }): Promise<void> {
    const { restart: _restart, stopTimeoutMs: _stopTimeoutMs, ...endpointOptions } = this.#options;
    const child = fork(CHILD_FILE, [], {
      execArgv: UNDER_TSX ? ['--import', import.meta.resolve('tsx')] : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // The service's own FUNCX_* settings (a token, a secret) are not the functions' business.
      env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FUNCX_'))),
      serialization: 'advanced',
    });
    this.#child = child;
    this.#pid = 0;
    this.#running.clear();
    return new Promise((resolve, reject) => {
      let ready = false;
      let stopped: { reason: string; auth: boolean } | null = null;
      child.on('error', () => {
        // A failed fork or IPC send; 'exit' follows and decides what to do.
      });
      child.on('message', (message: FromEndpointChild) => {
        if (message.type === 'ready') {
          ready = true;
          this.#pid = message.pid;
          this.#attempt = 0;
          resolve();
        } else if (message.type === 'running') {
          for (const id of message.started) this.#running.add(id);
          for (const id of message.ended) this.#running.delete(id);
        } else if (message.type === 'stopped') {
          stopped = { reason: message.reason, auth: message.auth };
        }
      });
      // 'close', not 'exit': it comes after the IPC channel is drained, so every start it reported is known.
      child.once('close', (code, signal) => {
        if (this.#child === child) this.#child = null;
        this.#pid = 0;
        const why = stopped?.reason ?? (signal ? `the endpoint process was killed (${signal})` : `the endpoint process exited with code ${code}`);
        if (!ready) reject(new Error(why));
        if (this.#stopping !== null) return;
        if (stopped?.auth) {
          // Refused credentials: a new process would be refused too.
          this.#failure = new Error(why);
          return;
        }
        if (ready) this.#scheduleRestart({ taskIds: [...this.#running], reason: why });
      });
      child.send({ type: 'start', options: { ...endpointOptions, crashedTasks } } satisfies ToEndpointChild);
    });
  }

  #scheduleRestart(crashedTasks: { taskIds: readonly string[]; reason: string }): void {
    const delay = backoffDelay(++this.#attempt, this.#options.restart);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#stopping !== null) return;
      this.#restarts++;
      this.#spawn(crashedTasks).catch(() => {
        // It died before it was ready: try again, later each time (the tasks stay to fail).
        if (this.#stopping === null && this.#failure === null) this.#scheduleRestart(crashedTasks);
      });
    }, delay);
  }
}
