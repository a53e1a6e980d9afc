/**
 * The client's defaults, in one place: the options' documented `@default`s, the asynchronous
 * engine's and the executor's. Everything that applies a default reads it from here.
 */
export const CLIENT_DEFAULTS = {
  /** Milliseconds the asynchronous client gathers submissions into one post. */
  batchInterval: 10,
  /** The most tasks in one post. */
  batchSize: 128,
  /** Milliseconds one submit attempt may take before it is abandoned and retried. */
  submitTimeoutMs: 30_000,
  /** Milliseconds an idempotent request (submit, cancel, status sweep) is retried before it fails for good. */
  submitDeadlineMs: 30_000,
  /** Retries of one idempotent request, within the deadline. */
  submitRetries: Infinity,
  /** Milliseconds the result socket lingers after the last task settled. */
  socketLingerMs: 0,
  /** The first reconnect or retry delay. */
  initialDelayMs: 100,
  /** The longest reconnect or retry delay. */
  maxDelayMs: 5000,
  /** Milliseconds without a frame, while tasks wait, after which the client sweeps them anyway. */
  idleSweepMs: 15_000,
  /** funcX's chunk for status lookups: ids per `POST /v2/batch_status`. */
  statusChunk: 1024,
  /** Ids per `POST /v2/cancel`. */
  cancelChunk: 1024,
} as const;
