import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockRequest, ExecutionProvider, JobState, JobStatus } from './ExecutionProvider.js';
import { ProviderError } from './ProviderError.js';
import { runCommand as defaultRunCommand, type RunCommand } from './runCommand.js';
import { slurmScript, type SlurmScriptOptions } from './slurmScript.js';

/** Options of {@link SlurmProvider}. */
export interface SlurmProviderOptions extends SlurmScriptOptions {
  /** Where job scripts and job output go (`block-<id>.sbatch`, `block-<id>.out`): a directory the nodes see. */
  readonly runDir: string;
  /**
   * Runs `sbatch`, `squeue`, `sacct` and `scancel`: the seam for tests, or for a wrapper.
   * @default execFile
   */
  readonly runCommand?: RunCommand;
  /**
   * How long {@link SlurmProvider.close} waits for cancelled jobs to leave the queue.
   * @default 15_000
   */
  readonly closeWaitMs?: number;
}

/** Slurm's job states, by what they mean for a block. */
const STATES: Record<string, JobState> = {
  PENDING: 'pending',
  CONFIGURING: 'pending',
  REQUEUED: 'pending',
  REQUEUE_HOLD: 'pending',
  REQUEUE_FED: 'pending',
  RESIZING: 'pending',
  SUSPENDED: 'pending',
  STOPPED: 'pending',
  RUNNING: 'running',
  COMPLETING: 'running',
  SIGNALING: 'running',
  STAGE_OUT: 'running',
  COMPLETED: 'completed',
  CANCELLED: 'cancelled',
  TIMEOUT: 'timeout',
  DEADLINE: 'timeout',
  FAILED: 'failed',
  BOOT_FAIL: 'failed',
  NODE_FAIL: 'failed',
  OUT_OF_MEMORY: 'failed',
  PREEMPTED: 'failed',
  SPECIAL_EXIT: 'failed',
  REVOKED: 'failed',
};

/**
 * Blocks as Slurm jobs, as Parsl's `SlurmProvider`: each block is one `sbatch` job script
 * (partition, account, QOS, walltime, nodes, cores and memory per node, `scheduler_options`,
 * `worker_init`), running one worker manager per node (`srun` for several nodes). Jobs are
 * watched with `sacct` where the cluster keeps accounting, else with `squeue` (a job that has
 * left the queue has ended), and cancelled with `scancel`. The manager secret reaches the job
 * through the environment `sbatch` passes on, never the script.
 *
 * @example
 * ```ts
 * const slurm = new SlurmProvider({ runDir: '/home/me/.funcx-rx/ep', partition: 'debug', walltime: '00:30:00' });
 * ```
 */
export class SlurmProvider implements ExecutionProvider {
  readonly label = 'slurm';
  readonly nodesPerBlock: number;
  readonly #options: SlurmProviderOptions;
  readonly #run: RunCommand;
  /** Jobs submitted and not yet seen ended or cancelled, with their block's files (deleted then). */
  readonly #jobs = new Map<string, { readonly script: string; readonly output: string }>();
  /** Whether `sacct` answers here; null until first asked. */
  #accounting: boolean | null = null;

  /** @param options - the job's resources and the run directory */
  constructor(options: SlurmProviderOptions) {
    this.#options = options;
    this.nodesPerBlock = options.nodesPerBlock ?? 1;
    this.#run = options.runCommand ?? defaultRunCommand;
  }

  async submit(request: BlockRequest): Promise<string> {
    await mkdir(this.#options.runDir, { recursive: true });
    const script = join(this.#options.runDir, `block-${request.blockId}.sbatch`);
    const output = join(this.#options.runDir, `block-${request.blockId}.out`);
    await writeFile(script, slurmScript(request, { ...this.#options, output }), { mode: 0o700 });
    // The job takes sbatch's environment (--export=ALL, Slurm's default): the secret goes there.
    const { code, stdout, stderr } = await this.#run('sbatch', ['--parsable', '--export=ALL', script], { env: { ...process.env, ...request.env } });
    const jobId = stdout.trim().split(';')[0]!;
    if (code !== 0 || !/^\d+(_\d+)?$/.test(jobId)) {
      await rm(script, { force: true });
      throw new ProviderError('sbatch', code, stderr || stdout);
    }
    this.#jobs.set(jobId, { script, output });
    return jobId;
  }

  async status(jobIds: readonly string[]): Promise<Map<string, JobStatus>> {
    if (jobIds.length === 0) return new Map();
    const statuses = (this.#accounting !== false && (await this.#sacct(jobIds))) || (await this.#squeue(jobIds));
    for (const [id, status] of statuses) {
      if (status.state === 'pending' || status.state === 'running') continue;
      const files = this.#jobs.get(id);
      if (files === undefined) continue;
      // Seen ended without being cancelled: its output stays, for whoever looks into why.
      this.#jobs.delete(id);
      await rm(files.script, { force: true });
      statuses.set(id, { ...status, message: `${status.message ?? status.state}; its output: ${files.output}` });
    }
    return statuses;
  }

  async cancel(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length === 0) return;
    const { code, stderr } = await this.#run('scancel', [...jobIds]);
    // scancel of a job that already ended says so and exits non-zero: that is done too.
    if (code !== 0 && !/Invalid job id|already completing or completed/i.test(stderr)) throw new ProviderError('scancel', code, stderr);
    // Cancelled: nobody asks how it ended; its files go.
    for (const id of jobIds) {
      const files = this.#jobs.get(id);
      if (files === undefined) continue;
      this.#jobs.delete(id);
      await Promise.all([rm(files.script, { force: true }), rm(files.output, { force: true })]);
    }
  }

  async close(): Promise<void> {
    const ids = [...this.#jobs.keys()];
    if (ids.length === 0) return;
    // A refused scancel shows below: the jobs stay pending or running until the deadline, and the
    // engine's close reports what is left.
    await this.cancel(ids).catch(() => undefined);
    // Bounded: a scheduler that does not answer must not hold the endpoint's stop forever.
    const deadline = Date.now() + (this.#options.closeWaitMs ?? 15_000);
    while (Date.now() < deadline) {
      const statuses = await this.#squeue(ids).catch(() => null);
      if (statuses !== null && [...statuses.values()].every((s) => s.state !== 'pending' && s.state !== 'running')) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    this.#jobs.clear();
  }

  /** Job states from accounting, or null when the cluster keeps none (then squeue is used from now on). */
  async #sacct(jobIds: readonly string[]): Promise<Map<string, JobStatus> | null> {
    const { code, stdout, stderr } = await this.#run('sacct', ['-X', '-n', '-P', '-o', 'JobID,State,ExitCode,Reason', '-j', jobIds.join(',')]);
    if (code !== 0) {
      if (/accounting storage is disabled|not configured|Connection refused|Unable to contact/i.test(stderr) || code === null) {
        this.#accounting = false;
        return null;
      }
      throw new ProviderError('sacct', code, stderr);
    }
    this.#accounting = true;
    const statuses = new Map<string, JobStatus>();
    for (const line of stdout.split('\n')) {
      const [id, state, exit, reason] = line.trim().split('|');
      if (!id || !jobIds.includes(id)) continue;
      statuses.set(id, toStatus(state ?? '', exit, reason));
    }
    // Not in accounting yet (just submitted): still pending.
    for (const id of jobIds) if (!statuses.has(id)) statuses.set(id, { state: 'pending' });
    return statuses;
  }

  async #squeue(jobIds: readonly string[]): Promise<Map<string, JobStatus>> {
    const { code, stdout, stderr } = await this.#run('squeue', ['-h', '-t', 'all', '-o', '%i|%T|%r', '-j', jobIds.join(',')]);
    const statuses = new Map<string, JobStatus>();
    // squeue fails the whole request when none of the ids is in the queue any more.
    if (code !== 0 && !/Invalid job id/i.test(stderr)) throw new ProviderError('squeue', code, stderr);
    if (code === 0) {
      for (const line of stdout.split('\n')) {
        const [id, state, reason] = line.trim().split('|');
        if (id && jobIds.includes(id)) statuses.set(id, toStatus(state ?? '', undefined, reason));
      }
    }
    // Gone from the queue: it ended, and without accounting nothing says how.
    for (const id of jobIds) if (!statuses.has(id)) statuses.set(id, { state: 'completed', message: 'left the queue' });
    return statuses;
  }
}

function toStatus(slurmState: string, exit: string | undefined, reason: string | undefined): JobStatus {
  // sacct writes "CANCELLED by 0"; squeue writes the bare state.
  const name = slurmState.split(' ')[0]!.replace(/\+$/, '');
  const state = STATES[name] ?? 'failed';
  const words = [name !== '' && STATES[name] === undefined ? `state ${slurmState}` : '', reason && reason !== 'None' ? reason : '', exit && exit !== '0:0' && state !== 'pending' && state !== 'running' ? `exit code ${exit}` : '']
    .filter((w) => w !== '')
    .join(', ');
  return words === '' ? { state } : { state, message: words };
}
