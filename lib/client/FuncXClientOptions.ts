import type { SchedulerLike } from 'rxjs';
import type { BackoffOptions } from '../reactive/backoff.js';
import type { WebSocketMaker } from '../transport/WebSocketMaker.js';
import type { FetchLike } from './HttpApi.js';
import type { TokenProvider } from '../transport/TokenProvider.js';

/**
 * Options of {@link FuncXClient}.
 *
 * @example
 * ```ts
 * const fxc = new FuncXClient({ serviceUrl: 'http://127.0.0.1:8080', token, asynchronous: true, batchInterval: 50 });
 * ```
 */
export interface FuncXClientOptions<Async extends boolean = boolean> {
  /**
   * The service's URL, with or without the trailing `/v2`.
   * @default process.env.FUNCX_SERVICE_URL
   */
  readonly serviceUrl?: string;
  /**
   * The bearer token, or a function (sync or async) that gives the current one: it is called
   * before each HTTP request and each result-socket open, so a browser app can refresh tokens.
   * @default process.env.FUNCX_TOKEN
   * @example
   * ```ts
   * new FuncXClient({ serviceUrl, token: () => sessionStorage.getItem('funcx-token') ?? '' });
   * ```
   */
  readonly token?: TokenProvider;
  /**
   * `true` makes `run` return an awaitable Observable of the result, delivered over one shared
   * WebSocket; `false` makes it return the task id, for polling with `getResult`.
   * @default false
   */
  readonly asynchronous?: Async;
  /**
   * Milliseconds the asynchronous client gathers submissions into one `POST /v2/submit`; 0 posts
   * each at once.
   * @default 10
   */
  readonly batchInterval?: number;
  /**
   * The most tasks in one post; a full batch is posted before its interval ends.
   * @default 128
   */
  readonly batchSize?: number;
  /**
   * The task group this client's tasks join; results are subscribed by group.
   * @default a new random UUID
   */
  readonly taskGroupId?: string;
  /**
   * Milliseconds an idempotent request (a submit, a cancel, a status sweep) is retried, with
   * backoff, after it failed in transit (refused, reset, cut mid-answer), timed out, or got a 5xx
   * or a 429 (which waits for its `Retry-After`). A service that restarts within it costs a
   * delay, not failed tasks. Safe: task ids are chosen by the client, so the service treats a
   * retry as the same tasks.
   * @default 30000
   */
  readonly submitDeadlineMs?: number;
  /**
   * The most retries of one request within `submitDeadlineMs`.
   * @default Infinity (the deadline decides)
   */
  readonly submitRetries?: number;
  /**
   * Milliseconds before one submit attempt is abandoned (and retried).
   * @default 30000
   */
  readonly submitTimeoutMs?: number;
  /**
   * How the result socket is reopened after it drops, and submits are retried.
   * @default { initialDelayMs: 100, maxDelayMs: 5000 }
   */
  readonly reconnect?: BackoffOptions;
  /**
   * Milliseconds the result socket stays open after the last outstanding task settled, so that
   * tasks run one after another share one socket. The process stays alive that long.
   * @default 0 (closes at once)
   */
  readonly socketLingerMs?: number;
  /**
   * Milliseconds without any frame on the result socket, while tasks wait, after which the client
   * sweeps their statuses anyway: a safety net for a result event lost between service replicas
   * (one that died after ending a task but before publishing it).
   * @default 15000
   */
  readonly idleSweepMs?: number;
  /**
   * Node only: on the first SIGINT (Ctrl-C) or SIGTERM, cancel this client's outstanding tasks on
   * the service (as `close({ cancel: true })`, waiting at most 5 s), then raise the signal again
   * so that the process ends as it would have. Without it, a script stopped by Ctrl-C leaves its
   * remote tasks running. `close()` removes the handlers; ignored where there is no `process`.
   * @default false
   * @example
   * ```ts
   * const fxc = new FuncXClient({ asynchronous: true, cancelOnSignal: true });
   * ```
   */
  readonly cancelOnSignal?: boolean;
  /**
   * The `fetch` to call (a seam for tests and special runtimes).
   * @default the runtime's global `fetch`, called bound to `globalThis`; cross-fetch where there is none
   */
  readonly fetch?: FetchLike;
  /** Opens the result socket (a seam for tests). @default `ws` in Node, the global `WebSocket` elsewhere */
  readonly makeWebSocket?: WebSocketMaker;
  /** The scheduler for batching and backoff timers (a seam for tests). @default RxJS's async scheduler */
  readonly scheduler?: SchedulerLike;
}
