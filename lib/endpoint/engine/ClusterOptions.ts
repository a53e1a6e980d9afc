import type { ExecutionProvider } from '../providers/ExecutionProvider.js';
import type { RunCommand } from '../providers/runCommand.js';

/** What every provider's blocks share: how many, how long, and what runs before the manager. */
export interface BlockOptions {
  /** Blocks asked for when the endpoint starts. @default 0 */
  readonly initBlocks?: number;
  /** Blocks kept however idle. @default 0 */
  readonly minBlocks?: number;
  /** Blocks never exceeded, pending ones included. @default 1 */
  readonly maxBlocks?: number;
  /**
   * Slots to provide per outstanding task, from 0 to 1 (see {@link ScalingKnobs.parallelism}).
   * @default 1
   */
  readonly parallelism?: number;
  /**
   * How long a block may run, in milliseconds. Its manager stops taking tasks a little before
   * (a quarter of it, at most a minute) and exits once its tasks are done.
   * @default 10 minutes for Slurm (as Parsl), no limit for local blocks
   */
  readonly walltimeMs?: number;
  /** Shell lines run before each manager starts (`module load nodejs`, `source env/bin/activate`). @default none */
  readonly workerInit?: string;
}

/**
 * Blocks as child processes of the endpoint on this machine.
 *
 * @example
 * ```ts
 * const provider: LocalProviderConfig = { type: 'local', maxBlocks: 2 };
 * ```
 */
export interface LocalProviderConfig extends BlockOptions {
  readonly type: 'local';
}

/**
 * Blocks as Slurm jobs (see {@link SlurmProvider}).
 *
 * @example
 * ```ts
 * const provider: SlurmProviderConfig = { type: 'slurm', partition: 'debug', walltimeMs: 1_800_000, maxBlocks: 4 };
 * ```
 */
export interface SlurmProviderConfig extends BlockOptions {
  readonly type: 'slurm';
  /** `--partition`. @default the cluster's default */
  readonly partition?: string;
  /** `--account`. @default none */
  readonly account?: string;
  /** `--qos`. @default none */
  readonly qos?: string;
  /** Nodes per block: a manager on each (`srun`). @default 1 */
  readonly nodesPerBlock?: number;
  /** `--cpus-per-task` of the manager on each node. @default none */
  readonly coresPerNode?: number;
  /** `--mem`, in GB. @default none */
  readonly memPerNodeGb?: number;
  /** Whole nodes per block (`--exclusive`). @default false */
  readonly exclusive?: boolean;
  /** Lines added to the job script's header, such as `#SBATCH --constraint=haswell`. @default none */
  readonly schedulerOptions?: string;
  /** Runs the Slurm commands: a seam for tests or wrappers. @default execFile */
  readonly runCommand?: RunCommand;
}

/**
 * Options of the `cluster` engine: where blocks come from, how large they are, how they scale,
 * and how faults are handled.
 *
 * @example
 * ```ts
 * await Endpoint.start({ serviceUrl, endpointId, secret, cluster: { provider: { type: 'slurm', partition: 'debug', maxBlocks: 2 }, workersPerNode: 4 } });
 * ```
 */
export interface ClusterOptions {
  /** Where blocks come from: `local` child processes or `slurm` jobs, or a provider of your own. */
  readonly provider: LocalProviderConfig | SlurmProviderConfig | { readonly type: 'custom'; readonly instance: ExecutionProvider; readonly options?: BlockOptions };
  /**
   * Worker threads of each manager (one per node), for JavaScript tasks.
   * @default availableParallelism() of the endpoint's machine
   */
  readonly workersPerNode?: number;
  /**
   * Python worker processes of each manager.
   * @default workersPerNode
   */
  readonly pythonWorkersPerNode?: number;
  /**
   * How many times a task is sent again after its manager was lost under it (a block cancelled,
   * past its walltime, a node gone, a manager killed); past that it fails with `WorkerManagerLost`.
   * As Globus Compute's `max_retries_on_system_failure`.
   * @default 1
   */
  readonly maxRetriesOnSystemFailure?: number;
  /**
   * How long a block must have had no task before it is given back, in milliseconds (Parsl's `max_idletime`).
   * @default 120_000
   */
  readonly maxIdleTimeMs?: number;
  /**
   * How often the strategy looks at the load and the provider's jobs, in milliseconds (Parsl's
   * `strategy_period`). It also looks at once when tasks arrive with no free worker.
   * @default 5000
   */
  readonly strategyPeriodMs?: number;
  /**
   * `htex_auto_scale` scales with the load; `none` keeps `initBlocks` (and replaces none).
   * @default 'htex_auto_scale'
   */
  readonly strategy?: 'htex_auto_scale' | 'none';
  /**
   * Blocks that may fail in a row (refused by the scheduler, or ended before their manager
   * connected) before the endpoint gives up: its tasks then fail with `BlocksUnavailable`.
   * @default 3
   */
  readonly blockErrorThreshold?: number;
  /**
   * Where managers connect: `host` to listen on, `address` to tell them, `port` (0: any free one).
   * @default { host: '127.0.0.1', address: host, port: 0 } for local blocks; { host: '0.0.0.0', address: os.hostname() } for Slurm
   */
  readonly interchange?: { readonly host?: string; readonly address?: string; readonly port?: number };
  /**
   * Managers are pinged this often; one silent for a whole interval is taken as lost.
   * @default 10_000
   */
  readonly heartbeatMs?: number;
  /**
   * Where job scripts and block logs go (a directory the nodes see, for Slurm).
   * @default ~/.funcx-rx/endpoints/<endpoint id>
   */
  readonly runDir?: string;
  /**
   * The command that starts a worker manager, before its own arguments; `funcx-rx` where the
   * package is installed on the nodes.
   * @default this package's CLI, run by this Node
   */
  readonly managerCommand?: readonly string[];
}
