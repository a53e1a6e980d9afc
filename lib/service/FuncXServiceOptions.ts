import type { Stores } from './store/Stores.js';

/**
 * Options of {@link FuncXService.start}.
 *
 * @example
 * ```ts
 * await FuncXService.start({ port: 8080, retentionMs: 60 * 60 * 1000 });
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
   * How long ended tasks are kept, in milliseconds (funcX kept them two weeks).
   * @default 14 days
   */
  readonly retentionMs?: number;
  /**
   * The largest request body, in bytes (funcX: 5 MB per submit).
   * @default 5 * 1024 * 1024
   */
  readonly maxBodyBytes?: number;
  /**
   * How often endpoint connections are pinged; one silent for a whole interval is dropped.
   * @default 10000
   */
  readonly pingIntervalMs?: number;
  /**
   * Where tasks, functions, groups and endpoints live.
   * @default new MemoryStores()
   */
  readonly stores?: Stores;
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
}
