import { ErrorCode } from '../../protocol/errorCodes.js';
import { ApiError } from '../ApiError.js';

/** Fastify's own error codes, and the funcX code each is answered with. */
const FRAMEWORK_CODES: Readonly<Record<string, number>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.PAYLOAD_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ErrorCode.REQUEST_MALFORMED,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCode.REQUEST_MALFORMED,
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCode.REQUEST_MALFORMED,
  FST_ERR_MAX_PARAM_LENGTH: ErrorCode.URI_TOO_LONG,
};

/**
 * Turns anything a route or the framework threw into the {@link ApiError} the service answers:
 * ApiErrors as they are, fastify's and the JSON parser's errors as 4xx envelopes, anything else
 * as 500 code 18 (a bug, never a client's doing).
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
  if (mapped === ErrorCode.PAYLOAD_TOO_LARGE) return new ApiError(mapped, `The request body is larger than ${maxBodyBytes} bytes`, [maxBodyBytes]);
  if (mapped !== undefined) return new ApiError(mapped, `Malformed request: ${text}`);
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) return new ApiError(ErrorCode.REQUEST_MALFORMED, `Malformed request: ${text}`);
  return new ApiError(ErrorCode.INTERNAL_ERROR, `Internal error: ${text}`);
}
