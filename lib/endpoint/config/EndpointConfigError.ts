import { FuncXError } from '../../errors/FuncXError.js';

/**
 * An endpoint configuration file that cannot be used: unreadable, not YAML or JSON, or not valid.
 * The message lists every problem with the path of the key at fault, as
 * ``engine.provider.max_blocks: Expected a whole number from 1 and up, got `0` ``.
 *
 * @example
 * ```ts
 * try { await loadEndpointConfig('endpoint.yaml'); } catch (e) { if (e instanceof EndpointConfigError) console.error(e.problems); }
 * ```
 */
export class EndpointConfigError extends FuncXError {
  /** Stable code for programs. */
  override readonly code = 'FX_ENDPOINT_CONFIG_INVALID';
  /** The file at fault. */
  readonly file: string;
  /** Each problem, as `path: what is wrong`. */
  readonly problems: readonly string[];

  /**
   * @param file - the file at fault
   * @param problems - each problem, as `path: what is wrong`
   * @param cause - the parser's or the file system's error
   */
  constructor(file: string, problems: readonly string[], cause?: unknown) {
    super(`Invalid endpoint configuration ${file}:\n  ${problems.join('\n  ')}`, cause === undefined ? undefined : { cause });
    this.name = 'EndpointConfigError';
    this.file = file;
    this.problems = problems;
  }
}
