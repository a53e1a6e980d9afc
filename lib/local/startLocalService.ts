import { availableParallelism } from 'node:os';
import { FuncXService } from '../service/FuncXService.js';
import { LocalEndpoint } from './LocalEndpoint.js';
import type { EndpointOptions } from '../endpoint/EndpointOptions.js';
import type { FuncXServiceOptions } from '../service/FuncXServiceOptions.js';

/** Options of {@link startLocalService}. */
export interface LocalServiceOptions {
  /**
   * The interface to listen on.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * The port; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Worker threads of the local endpoint: one task each at a time. Functions that wait (I/O,
   * sleeps) gain from more workers than cores.
   * @default max(16, availableParallelism())
   */
  readonly workers?: number;
  /** Per-task time limit of the local endpoint, in milliseconds. @default no limit */
  readonly taskTimeoutMs?: number;
  /**
   * The largest serialized result of a task on the local endpoint, in bytes; a larger one fails
   * its task with `ResultTooLarge`.
   * @default 10_000_000
   */
  readonly maxResultBytes?: number;
  /**
   * Origins of web pages allowed to call the service from a browser (CORS and the result
   * socket's `Origin` check); see {@link FuncXServiceOptions.cors}.
   * @default []
   */
  readonly cors?: readonly string[];
  /**
   * The service's per-user request rate limit; see {@link FuncXServiceOptions.rateLimit}.
   * @default 2000 requests per 10 s
   */
  readonly rateLimit?: FuncXServiceOptions['rateLimit'];
  /**
   * Whether the local endpoint's workers take micro-batches of fast functions' tasks; see
   * {@link EndpointOptions.microBatch}.
   * @default true
   */
  readonly microBatch?: boolean;
  /**
   * More options for the service (limits, logger, metrics); the options above win over the same
   * ones here.
   * @default {}
   * @example
   * ```ts
   * await startLocalService({ service: { maxPayloadBytes: 8 * 1024 * 1024, logger: 'info', metrics: { port: 9464 } } });
   * ```
   */
  readonly service?: Omit<FuncXServiceOptions, 'host' | 'port' | 'backend' | 'redis'>;
  /** Directories the local endpoint's Python workers import from (see `EndpointOptions.pythonPath`). */
  readonly pythonPath?: readonly string[];
  /** Where the local endpoint makes each Python task's sandbox (see `EndpointOptions.sandboxDir`). */
  readonly sandboxDir?: string;
}

/** A running embedded service with its local endpoint. */
export interface LocalService {
  /** The service's base URL: give it to `FuncXClient` as `serviceUrl`. */
  readonly url: string;
  /** A bearer token for a fresh user of this service. */
  readonly token: string;
  /** The local endpoint's id; it belongs to that user. */
  readonly endpointId: string;
  /** The service itself, for more users, endpoints, statistics and fault injection. */
  readonly service: FuncXService;
  /**
   * The local endpoint: its own child process (functions cannot read this process's memory or
   * stop it), restarted when it dies.
   */
  readonly endpoint: LocalEndpoint;
  /** Stops the endpoint and the service; afterwards nothing of theirs keeps the process alive. */
  stop(): Promise<void>;
}

/**
 * Starts the embedded funcX-compatible service on an ephemeral port, with one user and one
 * local endpoint connected to it over a real WebSocket, as a remote endpoint would be. The
 * endpoint runs in a child process of its own ({@link LocalEndpoint}), so user functions run
 * outside the service's process.
 *
 * @param options - host, port, worker count, task time limit
 * @returns the URL, token and endpoint id to use, and `stop()`
 * @example
 * ```ts
 * import { startLocalService } from 'funcx-rx/service';
 * import { FuncXClient } from 'funcx-rx';
 * const local = await startLocalService();
 * const fxc = new FuncXClient({ serviceUrl: local.url, token: local.token });
 * // ... run tasks on local.endpointId ...
 * await local.stop();
 * ```
 */
export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const service = await FuncXService.start({
    ...options.service,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    cors: options.cors ?? options.service?.cors ?? [],
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
    // The service takes results as large as its endpoint may make them.
    ...(options.maxResultBytes === undefined ? {} : { maxResultBytes: options.maxResultBytes }),
  });
  try {
    const { userId, token } = await service.issueToken();
    const { endpointId, secret } = await service.registerEndpoint(userId, { name: 'local' });
    const endpoint = await LocalEndpoint.start({
      serviceUrl: service.url,
      endpointId,
      secret,
      workers: options.workers ?? Math.max(16, availableParallelism()),
      ...(options.taskTimeoutMs === undefined ? {} : { taskTimeoutMs: options.taskTimeoutMs }),
      ...(options.microBatch === undefined ? {} : { microBatch: options.microBatch }),
      ...(options.maxResultBytes === undefined ? {} : { maxResultBytes: options.maxResultBytes }),
      ...(options.pythonPath === undefined ? {} : { pythonPath: options.pythonPath }),
      ...(options.sandboxDir === undefined ? {} : { sandboxDir: options.sandboxDir }),
    });
    let stopping: Promise<void> | null = null;
    return {
      url: service.url,
      token,
      endpointId,
      service,
      endpoint,
      stop: () => (stopping ??= (async () => {
        await endpoint.stop();
        await service.close();
      })()),
    };
  } catch (error) {
    await service.close();
    throw error;
  }
}
