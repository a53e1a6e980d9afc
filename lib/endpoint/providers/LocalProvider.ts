import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockRequest, ExecutionProvider, JobStatus } from './ExecutionProvider.js';
import { BLOCK_START_LINE } from '../interchange/managerChannel.js';
import { ProviderError } from './ProviderError.js';
import { shellQuote } from './shellQuote.js';

/** Options of {@link LocalProvider}. */
export interface LocalProviderOptions {
  /** Where each block's output goes (`block-<id>.log`). */
  readonly runDir: string;
  /**
   * Shell lines run before the manager starts, as in a job script (`module load`, `source venv/bin/activate`).
   * @default none
   */
  readonly workerInit?: string;
  /**
   * How long a block may live: it is stopped past it (SIGTERM, then SIGKILL), as a batch scheduler
   * ends a job at its walltime. Its manager drains before then.
   * @default no limit
   */
  readonly walltimeMs?: number;
}

/** How long a block has to exit after SIGTERM before it is killed. */
const KILL_AFTER_MS = 3000;
/** How much of a failed block's log its status quotes. */
const LOG_TAIL_CHARS = 400;

interface LocalJob {
  readonly child: ChildProcess;
  readonly log: string;
  readonly exited: Promise<unknown>;
  status: JobStatus;
  cancelled: boolean;
  timer: NodeJS.Timeout | null;
}

/**
 * Blocks as child processes of the endpoint on this machine (one node each), as Parsl's
 * `LocalProvider`: each runs `bash -c '<worker_init>; exec <manager command>'`, its output in the
 * run directory. A block is `running` from its start, ends `completed` on exit code 0, `failed`
 * otherwise (quoting the end of its log), `timeout` at its walltime, `cancelled` when cancelled.
 *
 * @example
 * ```ts
 * const provider = new LocalProvider({ runDir: '/tmp/ep', walltimeMs: 600_000 });
 * const jobId = await provider.submit({ blockId: '0', command: ['funcx-rx', 'worker-manager', ...], env });
 * ```
 */
export class LocalProvider implements ExecutionProvider {
  readonly label = 'local';
  readonly nodesPerBlock = 1;
  readonly #options: LocalProviderOptions;
  /** Jobs started and not forgotten: a job is deleted once cancelled and exited, or once its end was reported. */
  readonly #jobs = new Map<string, LocalJob>();
  #closed = false;

  /** @param options - run directory, worker_init lines, walltime */
  constructor(options: LocalProviderOptions) {
    this.#options = options;
  }

  async submit(request: BlockRequest): Promise<string> {
    if (this.#closed) throw new ProviderError('local submit', null, 'the provider is closed');
    await mkdir(this.#options.runDir, { recursive: true });
    const log = join(this.#options.runDir, `block-${request.blockId}.log`);
    const out = await open(log, 'w', 0o600);
    const script = `${BLOCK_START_LINE}\n${this.#options.workerInit ?? ''}\nexec ${request.command.map(shellQuote).join(' ')}\n`;
    let child: ChildProcess;
    try {
      child = spawn('bash', ['-c', script], { stdio: ['ignore', out.fd, out.fd], env: { ...process.env, ...request.env } });
    } finally {
      // The child holds its own copy of the descriptor.
      await out.close();
    }
    const exited = once(child, 'exit').catch(() => undefined);
    if (child.pid === undefined) {
      const [error] = (await once(child, 'error')) as [Error];
      throw new ProviderError('bash', null, error.message, error);
    }
    const jobId = String(child.pid);
    const job: LocalJob = { child, log, exited, status: { state: 'running' }, cancelled: false, timer: null };
    if (this.#options.walltimeMs !== undefined) {
      job.timer = setTimeout(() => {
        job.status = { state: 'timeout', message: `past its walltime of ${this.#options.walltimeMs} ms` };
        this.#stop(job);
      }, this.#options.walltimeMs);
      job.timer.unref();
    }
    child.on('exit', (code, signal) => {
      if (job.timer) clearTimeout(job.timer);
      if (job.status.state === 'timeout') return;
      if (job.cancelled) {
        // Nobody asks how a cancelled block ended: forget it, and its log.
        job.status = { state: 'cancelled' };
        this.#jobs.delete(jobId);
        void rm(log, { force: true });
        return;
      }
      else if (code === 0) job.status = { state: 'completed' };
      else job.status = { state: 'failed', message: code === null ? `killed by ${signal}` : `exit code ${code}` };
    });
    this.#jobs.set(jobId, job);
    return jobId;
  }

  async status(jobIds: readonly string[]): Promise<Map<string, JobStatus>> {
    const statuses = new Map<string, JobStatus>();
    for (const id of jobIds) {
      const job = this.#jobs.get(id);
      if (job === undefined) {
        statuses.set(id, { state: 'completed' });
        continue;
      }
      let status = job.status;
      if (status.state === 'failed') {
        const tail = (await readFile(job.log, 'utf8').catch(() => '')).trim().slice(-LOG_TAIL_CHARS);
        if (tail) status = { state: 'failed', message: `${status.message}: ${tail}` };
      }
      if (status.state !== 'running') this.#forget(id, job);
      statuses.set(id, status);
    }
    return statuses;
  }

  async cancel(jobIds: readonly string[]): Promise<void> {
    for (const id of jobIds) {
      const job = this.#jobs.get(id);
      if (job === undefined) continue;
      if (job.status.state !== 'running') {
        this.#forget(id, job);
        continue;
      }
      job.cancelled = true;
      this.#stop(job);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const jobs = [...this.#jobs.values()];
    for (const job of jobs) {
      if (job.status.state !== 'running') continue;
      job.cancelled = true;
      this.#stop(job);
    }
    await Promise.all(jobs.map((job) => job.exited));
    this.#jobs.clear();
  }

  /** Forgets an ended job; its log stays only when it failed (its status quoted the end of it). */
  #forget(id: string, job: LocalJob): void {
    this.#jobs.delete(id);
    if (job.status.state !== 'failed') void rm(job.log, { force: true });
  }

  /** SIGTERM, then SIGKILL if it is still there after a moment. */
  #stop(job: LocalJob): void {
    if (job.child.exitCode !== null || job.child.signalCode !== null) return;
    job.child.kill('SIGTERM');
    const kill = setTimeout(() => job.child.kill('SIGKILL'), KILL_AFTER_MS);
    kill.unref();
    void job.exited.then(() => clearTimeout(kill));
  }
}
