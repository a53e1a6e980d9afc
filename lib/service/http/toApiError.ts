import { ErrorCode } from '../../protocol/errorCodes.js';
import { ApiError } from '../ApiError.js';
import { limitHint } from '../limitHint.js';

/** Fastify's own error codes, and the funcX code each is answered with. */
const FRAMEWORK_CODES: Readonly<Record<string, number>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.PAYLOAD_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ErrorCode.REQUEST_MALFORMED,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCode.REQUEST_MALFORMED,
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCode.REQUEST_MALFORMED,
  FST_ERR_MAX_PARAM_LENGTH: ErrorCode.URI_TOO_LONG,
};

/** What a client is told to wait while the store is unreachable. */
const UNAVAILABLE_RETRY_SECONDS = 2;

/**
 * Whether an error says the store cannot be reached (as opposed to a bug): ioredis gives up on a
 * command after its retries (`MaxRetriesPerRequestError`), or the connection is closed, refused,
 * timed out, or the server is still loading its data after a restart.
 */
function isStoreUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const code = (error as { code?: unknown }).code;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE') return true;
  return /^(LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b|Connection is closed|Stream isn't writeable/.test(error.message);
}

/**
 * Turns anything a route or the framework threw into the {@link ApiError} the service answers:
 * ApiErrors as they are, fastify's and the JSON parser's errors as 4xx envelopes, an unreachable
 * store as 503 code 113 with `Retry-After`, anything else as 500 code 18 (a bug, never a client's doing).
 *
 * @param error - what was thrown
 * @param maxBodyBytes - the body limit, for the 413 message
 * @returns the error to answer with
 * @example
 * ```ts
 * const apiError = toApiError(error, 5 * 1024 * 1024);
 * reply.code(apiError.httpStatus).send(apiError.toEnvelope());
 * ```
 */
export function toApiError(error: unknown, maxBodyBytes: number): ApiError {
  if (error instanceof ApiError) return error;
  const { code, statusCode, message } = error as { code?: string; statusCode?: number; message?: string };
  const text = message ?? String(error);
  const mapped = code === undefined ? undefined : FRAMEWORK_CODES[code];
  if (mapped === ErrorCode.PAYLOAD_TOO_LARGE) return new ApiError(mapped, `The request body is larger than ${maxBodyBytes} bytes: a submit carries its tasks' arguments, so one large argument is enough ${limitHint('maxBodyBytes')}`, [maxBodyBytes]);
  if (mapped !== undefined) return new ApiError(mapped, `Malformed request: ${text}`);
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) return new ApiError(ErrorCode.REQUEST_MALFORMED, `Malformed request: ${text}`);
  if (isStoreUnavailable(error)) return new ApiError(ErrorCode.SERVICE_UNAVAILABLE, 'The service cannot reach its store for now; try again shortly', [], UNAVAILABLE_RETRY_SECONDS);
  return new ApiError(ErrorCode.INTERNAL_ERROR, `Internal error: ${text}`);
}
