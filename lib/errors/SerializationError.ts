import { FuncXError } from './FuncXError.js';

/**
 * A value could not be serialized or deserialized: a function given as data, a cycle, a
 * `BigInt`, a Python pickle read from JavaScript, or a malformed buffer.
 *
 * @example
 * ```ts
 * try { serialize({ f() {} }); } catch (e) { if (e instanceof SerializationError) console.error(e.message); }
 * ```
 */
export class SerializationError extends FuncXError {
  override readonly code = 'FX_SERIALIZATION';
  /** The method id involved, or null when the buffer had none. */
  readonly method: string | null;

  /**
   * @param message - what could not be (de)serialized, and why
   * @param options - `method`: the method id; `cause`: the underlying error
   */
  constructor(message: string, options: { method: string | null; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SerializationError';
    this.method = options.method;
  }
}
