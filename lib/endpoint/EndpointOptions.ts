import type { BackoffOptions } from '../reactive/backoff.js';
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
   * How reconnects back off.
   * @default { initialDelayMs: 100, maxDelayMs: 5000 }
   */
  readonly reconnect?: BackoffOptions;
  /**
   * The largest serialized result a task may return, in bytes (at most 32 MiB, so that any
   * result message fits the channel's frame limit). A larger result fails its task with
   * `ResultTooLarge`, which the client sees as a `TaskExecutionFailed`; the endpoint goes on.
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
}
