import { errorCodeName, httpStatusOf } from '../protocol/errorCodes.js';
import type { ErrorEnvelope } from '../protocol/envelope.js';
import { FuncXError } from './FuncXError.js';

/**
 * The service answered with funcX's error envelope: an unknown function or endpoint, a bad
 * UUID, a missing key, a wrong token, and so on. `code` is the envelope's {@link ErrorCode}.
 *
 * @example
 * ```ts
 * import { ServiceError, ErrorCode } from 'funcx-rx';
 * try { await fxc.getTask(id); } catch (e) {
 *   if (e instanceof ServiceError && e.code === ErrorCode.TASK_NOT_FOUND) console.log('no such task');
 * }
 * ```
 */
export class ServiceError extends FuncXError {
  /** funcX's numeric error code. */
  override readonly code: number;
  /** The envelope's human-readable reason. */
  readonly reason: string;
  /** The HTTP status the service answered with. */
  readonly httpStatus: number;
  /** The envelope's `error_args`. */
  readonly errorArgs: readonly unknown[];
  /** How long the service asked callers to wait before trying again (a 429 or 503's `Retry-After`), or null. */
  readonly retryAfterMs: number | null;

  /**
   * @param envelope - the service's error envelope
   * @param options - `cause`: the underlying error; `retryAfterMs`: the answer's `Retry-After`
   */
  constructor(envelope: Pick<ErrorEnvelope, 'code' | 'reason'> & Partial<ErrorEnvelope>, options?: { cause?: unknown; retryAfterMs?: number | null }) {
    super(`${errorCodeName(envelope.code)} (${envelope.code}): ${envelope.reason}`, options);
    this.name = 'ServiceError';
    this.code = envelope.code;
    this.reason = envelope.reason;
    this.httpStatus = envelope.http_status_code ?? httpStatusOf(envelope.code);
    this.errorArgs = envelope.error_args ?? [];
    this.retryAfterMs = options?.retryAfterMs ?? null;
  }
}
