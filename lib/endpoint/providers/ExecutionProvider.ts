/**
 * What a provider says of one of its jobs (a block). `pending`: queued, not started; `running`:
 * started (its manager may not have connected yet); the rest are ends.
 */
export type JobState = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout';

/** A job's state, with the scheduler's words for it (a pending reason, an exit code). */
export interface JobStatus {
  readonly state: JobState;
  /** Such as `Resources` for a pending Slurm job, or `exit code 3` for a failed one. */
  readonly message?: string;
}

/** Whether a job has ended. */
export const jobEnded = (state: JobState): boolean => state !== 'pending' && state !== 'running';

/** What a provider is asked to start: one block, a worker manager per node. */
export interface BlockRequest {
  /** The block's id, unique in its endpoint's life (a job name, a log file name). */
  readonly blockId: string;
  /** The worker manager's command line, run once per node of the block. */
  readonly command: readonly string[];
  /**
   * Environment the manager needs, the manager secret among it: given to the job's environment,
   * never written in a job script or on a command line.
   */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Where blocks of workers come from: a batch scheduler (Slurm), or this machine (local child
 * processes). The endpoint's engine submits, polls and cancels; the provider knows nothing of
 * tasks. As Parsl's `ExecutionProvider`.
 *
 * @example
 * ```ts
 * const jobId = await provider.submit({ blockId: '0', command, env });
 * (await provider.status([jobId])).get(jobId)?.state; // 'pending'
 * await provider.cancel([jobId]);
 * ```
 */
export interface ExecutionProvider {
  /** The provider's type, as in the configuration: `local`, `slurm`. */
  readonly label: string;
  /** Nodes of each block: the engine expects a manager from each. */
  readonly nodesPerBlock: number;
  /**
   * Starts a block.
   *
   * @param request - the block's id, its manager command, its environment
   * @returns the job's id
   * @throws {@link ProviderError} when the scheduler refuses it
   */
  submit(request: BlockRequest): Promise<string>;
  /**
   * The state of jobs this provider started. A job it no longer knows of is reported `completed`.
   *
   * @param jobIds - the jobs
   * @returns each job's status
   */
  status(jobIds: readonly string[]): Promise<Map<string, JobStatus>>;
  /**
   * Cancels jobs (a job already ended is left alone).
   *
   * @param jobIds - the jobs
   * @returns when the scheduler took the request
   */
  cancel(jobIds: readonly string[]): Promise<void>;
  /**
   * Cancels every job it started and still knows of, and waits for them to end (bounded).
   *
   * @returns when they have ended, or the wait's bound passed
   */
  close(): Promise<void>;
}
