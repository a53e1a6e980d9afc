/**
 * The base of every error funcx-rx throws, so one `instanceof` check catches them all.
 *
 * @example
 * ```ts
 * import { FuncXError } from 'funcx-rx';
 * try { await fxc.getResult(id); } catch (e) { if (e instanceof FuncXError) console.error(e.name, e.message); }
 * ```
 */
export class FuncXError extends Error {
  /**
   * A stable identifier of the kind of error, as Node's and ws's errors have (`FX_...`); for
   * errors the service answered, funcX's numeric error code ({@link ErrorCode}), or null when it gave none.
   */
  readonly code: string | number | null = 'FX_ERROR';

  /**
   * @param message - what went wrong
   * @param options - `cause`: the underlying error
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FuncXError';
  }
}
