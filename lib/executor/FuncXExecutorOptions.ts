/**
 * Options of {@link FuncXExecutor}.
 *
 * @example
 * ```ts
 * const executor = new FuncXExecutor(fxc, { endpointId, batchEnabled: true, batchInterval: 1000 });
 * ```
 */
export interface FuncXExecutorOptions {
  /** The endpoint submissions run on unless a call names another. */
  readonly endpointId?: string;
  /**
   * Gather submissions into one `POST /v2/submit` per interval. Off: each submission is posted at once.
   * @default true
   */
  readonly batchEnabled?: boolean;
  /**
   * Milliseconds to gather submissions (funcX's `batch_interval`, which was in seconds).
   * @default 10
   */
  readonly batchInterval?: number;
  /**
   * The most tasks in one post.
   * @default 128
   */
  readonly batchSize?: number;
}

/** Per-call options of `executor.submit`. */
export interface SubmitOptions {
  /** The endpoint for this call. @default the executor's `endpointId` */
  readonly endpointId?: string;
  /** Keyword arguments, funcX-style. */
  readonly kwargs?: Readonly<Record<string, unknown>>;
  /** Cancels the task when aborted. */
  readonly signal?: AbortSignal;
}

/** Options of `executor.map`. */
export interface MapOptions {
  /** The endpoint for the calls. @default the executor's `endpointId` */
  readonly endpointId?: string;
  /** The most calls outstanding at once. @default Infinity */
  readonly concurrency?: number;
  /**
   * `input`: results in the order of their inputs; `completion`: as they finish.
   * @default 'input'
   */
  readonly order?: 'input' | 'completion';
}
