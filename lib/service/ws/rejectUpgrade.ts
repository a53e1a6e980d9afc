import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { ApiError } from '../ApiError.js';

/**
 * Refuses a WebSocket handshake with an HTTP status and funcX's error envelope as the body.
 *
 * @param socket - the upgrading connection
 * @param status - the HTTP status
 * @param error - the envelope's error
 * @returns nothing
 * @example
 * ```ts
 * rejectUpgrade(socket, 401, new ApiError(ErrorCode.USER_UNAUTHENTICATED, 'token required'));
 * ```
 */
export function rejectUpgrade(socket: Duplex, status: number, error: ApiError): void {
  const body = JSON.stringify({ ...error.toEnvelope(), http_status_code: status });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
