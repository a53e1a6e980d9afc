import type { BackoffOptions } from '../reactive/backoff.js';

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
   * Worker threads; each runs one task at a time.
   * @default availableParallelism()
   */
  readonly workers?: number;
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
   * How reconnects back off.
   * @default { initialDelayMs: 100, maxDelayMs: 5000 }
   */
  readonly reconnect?: BackoffOptions;
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
   * Python results over this many bytes fail their task with `ResultTooLarge`.
   * @default 10_000_000
   */
  readonly maxResultBytes?: number;
}
