import { FuncXError } from '../../errors/FuncXError.js';

/**
 * A batch-scheduler command failed: `sbatch` refused a block (a bad partition or account, more
 * resources than a node has), or `squeue`/`scancel` could not reach the scheduler. The block it
 * was for is counted as failed and the endpoint reports the message.
 *
 * @example
 * ```ts
 * new ProviderError('sbatch', 1, 'sbatch: error: invalid partition specified: nope');
 * ```
 */
export class ProviderError extends FuncXError {
  /** Stable code for programs. */
  override readonly code = 'FX_PROVIDER_COMMAND_FAILED';
  /** The command that failed, such as `sbatch`. */
  readonly command: string;
  /** Its exit code (null when it could not be started or was stopped by a signal). */
  readonly exitCode: number | null;
  /** What it wrote on stderr, trimmed. */
  readonly stderr: string;

  /**
   * @param command - the command that failed
   * @param exitCode - its exit code, or null
   * @param stderr - what it wrote on stderr
   * @param cause - the underlying error (the spawn's, for a command not found)
   */
  constructor(command: string, exitCode: number | null, stderr: string, cause?: unknown) {
    const said = stderr.trim();
    super(`${command} failed${exitCode === null ? '' : ` with exit code ${exitCode}`}${said ? `: ${said}` : ''}`, cause === undefined ? undefined : { cause });
    this.name = 'ProviderError';
    this.command = command;
    this.exitCode = exitCode;
    this.stderr = said;
  }
}
