import { FuncXError } from '../../errors/FuncXError.js';
/**
 * A Python task reached an endpoint that runs no Python: no CPython 3 was found where it looked.
 * Reported to the client as the remote error's name.
 *
 * @example
 * ```ts
 * new PythonUnavailable(['python3: not found']).message;
 * ```
 */
export class PythonUnavailable extends FuncXError {
  override readonly code = 'FX_PYTHON_UNAVAILABLE';
  /** What the endpoint tried. */
  readonly tried: readonly string[];

  /** @param tried - the interpreters tried and why each was passed over */
  constructor(tried: readonly string[]) {
    super(`This endpoint runs no Python (${tried.join('; ') || 'nothing tried'}): install python3, or name an interpreter with FUNCX_PYTHON or the endpoint's \`python\` option`);
    this.name = 'PythonUnavailable';
    this.tried = tried;
  }
}
