import { FuncXError } from '../../errors/FuncXError.js';

/**
 * The endpoint cannot get blocks of workers: its provider failed to start `blockErrorThreshold`
 * blocks in a row and none runs (a bad partition or account, a `worker_init` that fails, a
 * manager that cannot reach the endpoint). Its tasks fail with this error rather than wait
 * forever; the endpoint's status reports it until the endpoint is restarted.
 *
 * @example
 * ```ts
 * new BlocksUnavailable(3, 'sbatch failed with exit code 1: invalid partition specified: nope');
 * ```
 */
export class BlocksUnavailable extends FuncXError {
  /** Stable code for programs. */
  override readonly code = 'FX_BLOCKS_UNAVAILABLE';
  /** Why the last block failed. */
  readonly reason: string;

  /**
   * @param failures - how many blocks failed in a row
   * @param reason - why the last one failed
   */
  constructor(failures: number, reason: string) {
    super(`The endpoint could not start a block of workers (${failures} failed in a row): ${reason}`);
    this.name = 'BlocksUnavailable';
    this.reason = reason;
  }
}
