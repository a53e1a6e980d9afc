import { errorCodeName, httpStatusOf } from '../protocol/errorCodes.js';
import type { ErrorEnvelope } from '../protocol/envelope.js';

/**
 * A refusal the service answers with funcX's error envelope. Routes throw it; the HTTP layer
 * turns it into the response, and the submit route into one failed task of a 207 answer.
 *
 * @example
 * ```ts
 * throw new ApiError(ErrorCode.TASK_NOT_FOUND, `Task ${id} not found`, [id]);
 * ```
 */
export class ApiError extends Error {
  /** funcX's error code. */
  readonly code: number;
  /** The HTTP status that goes with the code. */
  readonly httpStatus: number;
  /** The envelope's `error_args`. */
  readonly errorArgs: readonly unknown[];
  /** For 429 answers: the `Retry-After` header, in seconds. */
  readonly retryAfterSeconds: number | undefined;

  /**
   * @param code - an {@link ErrorCode}
   * @param reason - the human-readable reason
   * @param errorArgs - the values the reason is about
   * @param retryAfterSeconds - when the client may try again (sent as `Retry-After`)
   */
  constructor(code: number, reason: string, errorArgs: readonly unknown[] = [], retryAfterSeconds?: number) {
    super(reason);
    this.name = 'ApiError';
    this.code = code;
    this.httpStatus = httpStatusOf(code);
    this.errorArgs = errorArgs;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /**
   * The error as funcX's envelope.
   *
   * @returns the envelope body
   * @example
   * ```ts
   * reply.code(error.httpStatus).send(error.toEnvelope());
   * ```
   */
  toEnvelope(): ErrorEnvelope {
    return { status: 'Failed', code: this.code, error_args: this.errorArgs, reason: this.message, http_status_code: this.httpStatus };
  }

  /** The code's symbolic name, for logs. */
  get codeName(): string {
    return errorCodeName(this.code);
  }
}
