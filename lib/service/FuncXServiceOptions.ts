import { createLogger, type Logger } from './log.js';
import type { AmqpResultsOptions } from './amqp/AmqpResultsOptions.js';
import type { Backend } from './core/Backend.js';
import type { MetricsListenOptions } from './metrics/MetricsServer.js';
import { parseCorsOrigins } from './http/corsPlugin.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MB = 1024 * 1024;

/**
 * Options of {@link FuncXService.start}. Every size, count and time the service accepts from
 * outside has a limit here; the defaults suit a shared service and are generous for one user
 * whose client batches (docs/limits.md lists them with their errors).
 *
 * @example
 * ```ts
 * await FuncXService.start({ port: 8080, retentionMs: 60 * 60 * 1000, rateLimit: { max: 500, windowMs: 10_000 } });
 * ```
 */
export interface FuncXServiceOptions {
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
   * Share state with other replicas through this Redis (7 or later), e.g. `redis://127.0.0.1:6379`.
   * Tasks, tokens and endpoint credentials then survive a restart.
   * @default in this process's memory
   */
  readonly redis?: string;
  /**
   * A backend instance to use instead (the service does not close it).
   * @default new MemoryBackend(), or a RedisBackend for `redis`
   */
  readonly backend?: Backend;
  /**
   * A RabbitMQ for Globus Compute's `Executor`, which takes results from AMQP: v3 submits with
   * `create_queue` get their task group's results published there, and
   * `GET /v2/get_amqp_result_connection_url` tells each user where (docs/protocol-extensions.md §10).
   * @default none: that route answers 503 (code 114), and results stay on HTTP and the WebSocket
   */
  readonly amqp?: AmqpResultsOptions;

  /**
   * How long ended tasks are kept, in milliseconds (funcX kept them two weeks).
   * @default 14 days
   */
  readonly retentionMs?: number;
  /**
   * How long a task may wait for its endpoint (offline, or never connected) before it fails.
   * @default 24 hours
   */
  readonly maxWaitMs?: number;
  /**
   * How long a task group with no tasks left is kept after it was last used.
   * @default 1 hour
   */
  readonly groupIdleMs?: number;
  /**
   * How long a function nobody submits to, or an endpoint that never connects, is kept.
   * @default 30 days
   */
  readonly registrationIdleMs?: number;
  /**
   * How often the expiry sweep runs (it never keeps the process alive).
   * @default min(retentionMs, 60 s)
   */
  readonly sweepIntervalMs?: number;

  /**
   * The largest request body, in bytes (funcX: 5 MB per submit).
   * @default 5 MiB
   */
  readonly maxBodyBytes?: number;
  /**
   * The largest registered function: its code and its source, in bytes each.
   * @default 1 MiB
   */
  readonly maxFunctionBytes?: number;
  /**
   * The largest payload (arguments) of one task, in bytes.
   * @default 1 MiB
   */
  readonly maxPayloadBytes?: number;
  /**
   * The most inputs one task may wait for (`dependencies` of `POST /v2/submit`,
   * docs/protocol-extensions.md §12); a task with more is refused.
   * @default 10000
   */
  readonly maxInputsPerTask?: number;
  /**
   * The most tasks in one `POST /v2/submit` (checked before any per-task work).
   * @default 5000
   */
  readonly maxTasksPerSubmit?: number;
  /**
   * The most ids in one `POST /v2/batch_status` or `POST /v2/cancel`.
   * @default 10000
   */
  readonly maxIdsPerRequest?: number;
  /**
   * The largest result an endpoint may send, in bytes (Globus Compute: 10 MB). Endpoints refuse
   * larger results themselves; the service's endpoint-frame limit is derived from it.
   * @default 10 MiB
   */
  readonly maxResultBytes?: number;
  /**
   * Per task, the partial results (a generator's yields, docs/protocol-extensions.md §11) the
   * service holds unread; the generator pauses on its endpoint until a reader reads some.
   * @default 1000
   */
  readonly maxUnreadPartials?: number;
  /**
   * Per task, the bytes of unread partial results the service holds. At least `maxResultBytes`
   * (one partial is as large as a result may be).
   * @default max(16 MiB, maxResultBytes)
   */
  readonly maxUnreadPartialBytes?: number;
  /**
   * Per task, the partial results already read that the service keeps for late readers (a
   * `reattach`, `GET /v2/tasks/<id>/partials?from=0`); older ones go.
   * @default 10000
   */
  readonly partialHistory?: number;

  /**
   * Per-user quota: tasks accepted and not yet ended. A submit over it is answered 429 code 104.
   * @default 100000
   */
  readonly maxOutstandingTasksPerUser?: number;
  /**
   * Per-user quota: bytes of payloads and results the service holds for the user.
   * @default 1 GiB
   */
  readonly maxBytesPerUser?: number;
  /**
   * Per-user quota: registered functions.
   * @default 10000
   */
  readonly maxFunctionsPerUser?: number;
  /**
   * Per-user quota: registered endpoints.
   * @default 100
   */
  readonly maxEndpointsPerUser?: number;
  /**
   * Per-user request rate: at most `max` requests in any `windowMs`; more are answered 429 code
   * 103 with `Retry-After`. `false` turns it off.
   * @default { max: 2000, windowMs: 10000 }
   */
  readonly rateLimit?: { readonly max: number; readonly windowMs: number } | false;

  /**
   * The most open TCP connections, of every kind.
   * @default 10000
   */
  readonly maxConnections?: number;
  /**
   * Time for a client to send a request's headers.
   * @default 10 s
   */
  readonly headersTimeoutMs?: number;
  /**
   * Time for a client to send a whole request.
   * @default 30 s
   */
  readonly requestTimeoutMs?: number;
  /**
   * How long an idle keep-alive connection stays open.
   * @default 5 s
   */
  readonly keepAliveTimeoutMs?: number;
  /**
   * Open result sockets per user.
   * @default 64
   */
  readonly maxResultSocketsPerUser?: number;
  /**
   * Open result sockets in all.
   * @default 4096
   */
  readonly maxResultSockets?: number;
  /**
   * Task groups one result socket may follow.
   * @default 10000
   */
  readonly maxSubscriptionsPerSocket?: number;
  /**
   * The largest frame a result socket accepts from a client (a subscribe frame is ~100 bytes).
   * @default 4 KiB
   */
  readonly maxResultSocketFrameBytes?: number;
  /**
   * How often result and endpoint sockets are pinged; one silent for a whole interval is dropped.
   * @default 10000
   */
  readonly pingIntervalMs?: number;
  /**
   * Origins of web pages allowed to use the service from a browser: CORS answers for the REST
   * API (preflights answered before authentication), and the `Origin` check of result sockets.
   * `['*']` allows every origin; credentials (cookies) are never allowed.
   * @default [] (no browser page of another origin may call it)
   * @example
   * ```ts
   * await FuncXService.start({ cors: ['http://localhost:4200'] });
   * ```
   */
  readonly cors?: readonly string[];
  /**
   * How soon the tasks of a replica that died move on: each endpoint connection renews its
   * presence every quarter of this, and one that has not for this long is taken for dead (its
   * tasks are requeued for the endpoint's other or next connection).
   * @default 2000
   */
  readonly failoverMs?: number;
  /**
   * Where the service logs: a pino logger (the service makes children of it), or a level for one
   * it makes (JSON lines on stdout; tokens, secrets and payloads redacted, see docs/operations.md).
   * @default the level in `FUNCX_LOG_LEVEL`, else `'warn'`
   */
  readonly logger?: Logger | string;
  /**
   * Serve Prometheus metrics at `http://<host>:<port>/metrics`, on a port of their own without
   * authentication (docs/operations.md lists them).
   * @default none
   * @example
   * ```ts
   * await FuncXService.start({ metrics: { port: 9464 } }); // 127.0.0.1:9464
   * ```
   */
  readonly metrics?: MetricsListenOptions;
}

/** The options with every default filled in. */
export type ResolvedServiceOptions = Required<Omit<FuncXServiceOptions, 'backend' | 'redis' | 'rateLimit' | 'logger' | 'amqp' | 'metrics'>> & {
  readonly logger: Logger;
  readonly rateLimit: { readonly max: number; readonly windowMs: number } | false;
  /** The largest frame an endpoint may send: a full result and its envelope. */
  readonly maxEndpointFrameBytes: number;
};

/**
 * Fills in the defaults and checks every number.
 *
 * @param options - what the caller gave
 * @returns every option set
 * @throws TypeError for a number that is not positive (or a port out of range), or a `cors` entry that is not an origin
 * @example
 * ```ts
 * resolveServiceOptions({ maxTasksPerSubmit: 100 }).maxBodyBytes; // 5 MiB
 * ```
 */
export function resolveServiceOptions(options: FuncXServiceOptions): ResolvedServiceOptions {
  const retentionMs = options.retentionMs ?? 14 * DAY;
  const maxResultBytes = options.maxResultBytes ?? 10 * MB;
  const resolved = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    retentionMs,
    maxWaitMs: options.maxWaitMs ?? DAY,
    groupIdleMs: options.groupIdleMs ?? HOUR,
    registrationIdleMs: options.registrationIdleMs ?? 30 * DAY,
    sweepIntervalMs: options.sweepIntervalMs ?? Math.max(10, Math.min(retentionMs, MINUTE)),
    maxBodyBytes: options.maxBodyBytes ?? 5 * MB,
    maxFunctionBytes: options.maxFunctionBytes ?? MB,
    maxPayloadBytes: options.maxPayloadBytes ?? MB,
    maxTasksPerSubmit: options.maxTasksPerSubmit ?? 5000,
    maxInputsPerTask: options.maxInputsPerTask ?? 10_000,
    maxIdsPerRequest: options.maxIdsPerRequest ?? 10_000,
    maxResultBytes,
    maxUnreadPartials: options.maxUnreadPartials ?? 1000,
    maxUnreadPartialBytes: options.maxUnreadPartialBytes ?? Math.max(16 * MB, maxResultBytes),
    partialHistory: options.partialHistory ?? 10_000,
    maxOutstandingTasksPerUser: options.maxOutstandingTasksPerUser ?? 100_000,
    maxBytesPerUser: options.maxBytesPerUser ?? 1024 * MB,
    maxFunctionsPerUser: options.maxFunctionsPerUser ?? 10_000,
    maxEndpointsPerUser: options.maxEndpointsPerUser ?? 100,
    rateLimit: options.rateLimit ?? { max: 2000, windowMs: 10 * SECOND },
    maxConnections: options.maxConnections ?? 10_000,
    headersTimeoutMs: options.headersTimeoutMs ?? 10 * SECOND,
    requestTimeoutMs: options.requestTimeoutMs ?? 30 * SECOND,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 5 * SECOND,
    maxResultSocketsPerUser: options.maxResultSocketsPerUser ?? 64,
    maxResultSockets: options.maxResultSockets ?? 4096,
    maxSubscriptionsPerSocket: options.maxSubscriptionsPerSocket ?? 10_000,
    maxResultSocketFrameBytes: options.maxResultSocketFrameBytes ?? 4096,
    pingIntervalMs: options.pingIntervalMs ?? 10 * SECOND,
    cors: parseCorsOrigins(options.cors ?? []),
    failoverMs: options.failoverMs ?? 2 * SECOND,
    logger: typeof options.logger === 'object' ? options.logger : createLogger(options.logger),
    // A result frame carries the result plus its id and JSON quoting; leave room for batching.
    maxEndpointFrameBytes: 2 * maxResultBytes + MB,
  };
  for (const [key, value] of Object.entries(resolved)) {
    if (typeof value !== 'number') continue;
    const ok = key === 'port' ? Number.isInteger(value) && value >= 0 && value < 65536 : Number.isFinite(value) && value > 0;
    if (!ok) throw new TypeError(`Expected \`${key}\` to be a ${key === 'port' ? 'port from 0 to 65535' : 'number from 1 and up'}, got \`${String(value)}\` (${typeof value})`);
  }
  if (resolved.maxUnreadPartialBytes < resolved.maxResultBytes) {
    throw new TypeError(`Expected \`maxUnreadPartialBytes\` (${resolved.maxUnreadPartialBytes}) to be at least \`maxResultBytes\` (${resolved.maxResultBytes}): one partial may be as large as a result`);
  }
  if (resolved.rateLimit !== false && !(resolved.rateLimit.max > 0 && resolved.rateLimit.windowMs > 0)) {
    throw new TypeError(`Expected \`rateLimit\` to be false or { max, windowMs } with numbers from 1 and up, got \`${JSON.stringify(resolved.rateLimit)}\``);
  }
  return resolved;
}
