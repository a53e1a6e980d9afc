import { CLIENT_DEFAULTS } from './defaults.js';

/** How reconnects and retries wait: exponential with full jitter, capped. */
export interface BackoffOptions {
  /**
   * The first delay.
   * @default 100
   */
  readonly initialDelayMs?: number;
  /**
   * The longest delay.
   * @default 5000
   */
  readonly maxDelayMs?: number;
}

/**
 * The delay before retry number `attempt` (1-based): a random time up to
 * `min(maxDelayMs, initialDelayMs × 2^(attempt-1))`, but never under half of it, so that many
 * clients do not retry in step.
 *
 * @param attempt - which retry this is, from 1
 * @param options - the bounds
 * @param random - a source of numbers in [0, 1), a seam for tests
 * @returns milliseconds to wait
 * @example
 * ```ts
 * backoffDelay(3, { initialDelayMs: 100, maxDelayMs: 5000 }); // between 200 and 400
 * ```
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? CLIENT_DEFAULTS.initialDelayMs;
  const max = options.maxDelayMs ?? CLIENT_DEFAULTS.maxDelayMs;
  const ceiling = Math.min(max, initial * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
