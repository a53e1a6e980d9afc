import type { EndpointMetrics } from './EndpointMetrics.js';
import type { Logger } from '../service/log.js';
import type { BackoffOptions } from '../reactive/backoff.js';
import type { ClusterOptions } from './engine/ClusterOptions.js';
import type { FunctionCacheOptions } from './FunctionCache.js';

/**
 * Options of {@link Endpoint.start}.
 *
 * @example
 * ```ts
 * await Endpoint.start({ serviceUrl: 'http://127.0.0.1:8080', endpointId, secret, workers: 8 });
 * ```
 */
export interface EndpointOptions {
  /** The service's base URL (`http(s)://host:port`). */
  readonly serviceUrl: string;
  /** This endpoint's id, as registered. */
  readonly endpointId: string;
  /** This endpoint's secret, as registered. */
  readonly secret: string;
  /**
   * Worker threads; each runs one task at a time (the local engine; with `cluster`, see
   * `cluster.workersPerNode`).
   * @default availableParallelism()
   */
  readonly workers?: number;
  /**
   * Run tasks on blocks of worker managers from a provider (local child processes, Slurm jobs),
   * scaled with the load, instead of this process's own pool (the `local` engine).
   * @default none: the local engine
   * @example
   * ```ts
   * { provider: { type: 'slurm', partition: 'debug', maxBlocks: 4, walltimeMs: 1_800_000 }, workersPerNode: 8, maxIdleTimeMs: 60_000 }
   * ```
   */
  readonly cluster?: ClusterOptions;
  /**
   * Where the endpoint logs what it cannot report to the service (a scheduler command that failed,
   * a block it could not cancel): a pino logger.
   * @default a logger at `FUNCX_LOG_LEVEL`, else `warn`, on stdout
   */
  readonly logger?: Logger;
  /** Where the endpoint's Prometheus metrics are kept (task run times, worker crashes); none when undefined. */
  readonly metrics?: EndpointMetrics;
  /** Time limit of each task, in milliseconds, unless the task sets its own. @default none */
  readonly taskTimeoutMs?: number;
  /**
   * Heap limit of each worker, in MB.
   * @default 512
   */
  readonly maxOldGenerationSizeMb?: number;
  /**
   * How many tasks the service may send ahead of free workers. Several endpoint processes serving
   * one endpoint id share its work by this credit: the service sends each at most this many tasks
   * at a time, so tasks go where workers are free.
   * @default max(64, 4 × workers)
   */
  readonly prefetch?: number;
  /**
   * Whether a worker (a thread for JavaScript, a CPython process for Python) may take several
   * tasks of fast functions in one message when more wait than workers are free (each task keeps
   * its own cancellation and time limit); `false` sends every task alone.
   * @default true
   */
  readonly microBatch?: boolean;
  /**
   * How reconnects back off.
   * @default { initialDelayMs: 100, maxDelayMs: 5000 }
   */
  readonly reconnect?: BackoffOptions;
  /**
   * The largest serialized result a task may return, in bytes (at most 32 MiB, so that any
   * result message fits the channel's frame limit). A larger result fails its task with
   * `ResultTooLarge`, which the client sees as a `TaskExecutionFailed`; the endpoint goes on.
   * JavaScript and Python tasks alike.
   * @default 10_000_000 (10 MB, as Globus Compute)
   */
  readonly maxResultBytes?: number;
  /**
   * Bounds of the function-code cache (each function's code crosses the channel once per
   * connection at most; see docs/protocol-extensions.md §6).
   * @default { maxFunctions: 1000, maxBytes: 128 MiB }
   */
  readonly functionCache?: FunctionCacheOptions;
  /**
   * Whether {@link Endpoint.start} retries a first connection that fails for any reason but
   * refused credentials (with the `reconnect` backoff), instead of rejecting.
   * @default false
   */
  readonly retryFirstConnection?: boolean;
  /**
   * Called when a connection attempt fails and another is planned, with the error and the delay
   * before the next attempt: a seam for logging.
   * @default none
   */
  readonly onConnectError?: (error: Error, retryInMs: number) => void;
  /**
   * Called with the tasks about to start on workers (`true`), before any of them starts, and with
   * a task that stopped (`false`): a seam for a supervisor that must know what was running if the
   * whole process dies.
   * @default none
   */
  readonly onTaskRunning?: (taskIds: readonly string[], running: boolean) => void;
  /**
   * Tasks that were running when a previous process of this endpoint died. The service sends
   * them again when this one connects; they fail at once with `WorkerCrashed`, instead of
   * running again a function that may kill the process again.
   * @default none
   */
  readonly crashedTasks?: { readonly taskIds: readonly string[]; readonly reason: string };
  /**
   * The Python interpreter for Python tasks. Without it, the `FUNCX_PYTHON` environment variable,
   * else the first of `python3`, `/usr/bin/python3` and `python` that has dill, else the first that runs.
   * @default found as said
   */
  readonly python?: string;
  /**
   * Python worker processes, beside the worker threads; each runs one task at a time. They start
   * on the first Python task and then stay.
   * @default workers
   */
  readonly pythonWorkers?: number;
  /**
   * Address-space limit (`RLIMIT_AS`) of each Python worker, in MB: past it the task fails with
   * `MemoryError` and the process is replaced. Libraries that reserve much address space up front
   * (some GPU and BLAS stacks) need more, or 0 for none.
   * @default 2048
   */
  readonly pythonMemoryMb?: number;
  /**
   * Directories put first on the Python workers' `PYTHONPATH`: where packages the functions
   * unpickle live, such as `globus_compute_sdk` for Globus Compute's `ShellFunction` and
   * `MPIFunction` (an instance of its class arrives pickled).
   * @default none
   * @example
   * ```ts
   * await Endpoint.start({ ...connection, pythonPath: ['/opt/globus-compute/site-packages'] });
   * ```
   */
  readonly pythonPath?: readonly string[];
  /**
   * Where each Python task's sandbox directory goes, as Globus Compute's endpoint does it: the task
   * sees `GC_TASK_SANDBOX_DIR=<sandboxDir>/<task id>` and `GC_TASK_UUID`, and a `ShellFunction`
   * makes that directory and runs its command there (its stdout and stderr files stay in it).
   * @default `<os.tmpdir()>/funcx-rx-endpoint-<endpointId>/tasks_working_dir`
   */
  readonly sandboxDir?: string;
  /**
   * The MPI launcher of an `MPIFunction`: with a `resource_specification` of `num_ranks` (or
   * `num_nodes` and `ranks_per_node`), its `PARSL_MPI_PREFIX` is `<mpiLauncher> -n <ranks>`;
   * without ranks the command runs alone.
   * @default 'mpiexec'
   */
  readonly mpiLauncher?: string;
}
