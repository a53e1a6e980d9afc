/**
 * funcX's numeric error codes (docs/protocol.md §1), plus funcx-rx's own codes from 100 up.
 *
 * The code travels in every error envelope; the HTTP status that goes with it is in
 * {@link httpStatusOf}.
 *
 * @example
 * ```ts
 * import { ErrorCode } from 'funcx-rx';
 * if (error.code === ErrorCode.TASK_NOT_FOUND) console.log('gone');
 * ```
 */
export const ErrorCode = {
  UNKNOWN_ERROR: 0,
  USER_UNAUTHENTICATED: 1,
  USER_NOT_FOUND: 2,
  FUNCTION_NOT_FOUND: 3,
  ENDPOINT_NOT_FOUND: 4,
  CONTAINER_NOT_FOUND: 5,
  TASK_NOT_FOUND: 6,
  AUTH_GROUP_NOT_FOUND: 7,
  FUNCTION_ACCESS_FORBIDDEN: 8,
  ENDPOINT_ACCESS_FORBIDDEN: 9,
  FUNCTION_NOT_PERMITTED: 10,
  ENDPOINT_ALREADY_REGISTERED: 11,
  FORWARDER_REGISTRATION_ERROR: 12,
  FORWARDER_CONTACT_ERROR: 13,
  ENDPOINT_STATS_ERROR: 14,
  LIVENESS_STATS_ERROR: 15,
  REQUEST_KEY_ERROR: 16,
  REQUEST_MALFORMED: 17,
  INTERNAL_ERROR: 18,
  ENDPOINT_OUTDATED: 19,
  TASK_GROUP_NOT_FOUND: 20,
  TASK_GROUP_ACCESS_FORBIDDEN: 21,
  INVALID_UUID: 22,
  // funcx-rx extensions (docs/protocol-extensions.md).
  /** A client-chosen task id is already used by a different task. */
  TASK_ID_CONFLICT: 100,
  /** The request body is larger than the service accepts. */
  PAYLOAD_TOO_LARGE: 101,
  /** The route or method does not exist. */
  ROUTE_NOT_FOUND: 102,
  /** Too many requests from this client in the current window. */
  RATE_LIMITED: 103,
  /** A per-user quota (outstanding tasks, bytes held, registrations) is used up. */
  QUOTA_EXCEEDED: 104,
  /** The route exists, but not for this method. */
  METHOD_NOT_ALLOWED: 105,
  /** The request line or a path parameter is longer than the service accepts. */
  URI_TOO_LONG: 106,
  /** The request's headers are larger than the service accepts. */
  HEADERS_TOO_LARGE: 107,
  /** The request did not arrive in time. */
  REQUEST_TIMEOUT: 108,
  /** The body's content type is not JSON. */
  UNSUPPORTED_MEDIA_TYPE: 109,
  /** Too many open connections of this kind, for this user or in all. */
  CONNECTION_LIMIT: 110,
  /** A value (function, payload, result, frame) is larger than its limit. */
  VALUE_TOO_LARGE: 111,
  /** The WebSocket handshake comes from an origin the service does not allow. */
  ORIGIN_FORBIDDEN: 112,
  /** The service's store (Redis) cannot be reached for now; try again after `Retry-After`. */
  SERVICE_UNAVAILABLE: 113,
  /** The service has no AMQP result transport, or RabbitMQ did not answer. */
  AMQP_UNAVAILABLE: 114,
  /** An input of a task (`dependencies`) is no task the service knows, nor one earlier in the same submit. */
  DEPENDENCY_NOT_FOUND: 115,
  /**
   * No longer sent: another user's task is no task to the caller (115), as tasks are found under
   * their owner. Kept so that the number is never given another meaning.
   */
  DEPENDENCY_ACCESS_FORBIDDEN: 116,
  /** A task names more inputs than the service allows, or the request's `dependencies` name no task of it. */
  DEPENDENCY_INVALID: 117,
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

const HTTP_STATUS: Readonly<Record<ErrorCodeValue, number>> = {
  0: 500, 1: 401, 2: 404, 3: 404, 4: 404, 5: 404, 6: 404, 7: 404, 8: 403, 9: 403, 10: 403,
  11: 400, 12: 502, 13: 502, 14: 500, 15: 502, 16: 400, 17: 400, 18: 500, 19: 400, 20: 404,
  21: 403, 22: 400, 100: 409, 101: 413, 102: 404, 103: 429, 104: 429, 105: 405, 106: 414,
  107: 431, 108: 408, 109: 415, 110: 429, 111: 413, 112: 403, 113: 503, 114: 503, 115: 404,
  116: 403, 117: 400,
};

/**
 * The HTTP status funcX pairs with an error code.
 *
 * @param code - an {@link ErrorCode} value
 * @returns the HTTP status, 500 for a code this version does not know
 * @example
 * ```ts
 * httpStatusOf(ErrorCode.INVALID_UUID); // 400
 * ```
 */
export function httpStatusOf(code: number): number {
  return HTTP_STATUS[code as ErrorCodeValue] ?? 500;
}

/**
 * The symbolic name of an error code, for messages and logs.
 *
 * @param code - an {@link ErrorCode} value
 * @returns the name, such as `"TASK_NOT_FOUND"`, or `"UNKNOWN_ERROR"`
 * @example
 * ```ts
 * errorCodeName(6); // "TASK_NOT_FOUND"
 * ```
 */
export function errorCodeName(code: number): string {
  for (const [name, value] of Object.entries(ErrorCode)) if (value === code) return name;
  return 'UNKNOWN_ERROR';
}
