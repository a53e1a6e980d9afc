import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { ApiError } from '../ApiError.js';

/** How long a refused connection may take to read the answer before it is destroyed. */
const LINGER_MS = 2000;

/**
 * Answers on a raw connection (one that fastify does not handle: a WebSocket upgrade, or a request
 * Node's parser refused) with the error's status and funcX's envelope, then closes it. It never
 * throws: the socket gets an `'error'` listener before the write, and a socket that can no longer
 * be written is just destroyed.
 *
 * @param socket - the connection
 * @param error - the envelope's error
 * @param headers - extra response headers
 * @returns nothing
 * @example
 * ```ts
 * writeRawAnswer(socket, new ApiError(ErrorCode.USER_UNAUTHENTICATED, 'token required'));
 * ```
 */
export function writeRawAnswer(socket: Duplex, error: ApiError, headers: Readonly<Record<string, string>> = {}): void {
  // Before any write: a client that resets the connection now must not crash the process.
  socket.on('error', () => socket.destroy());
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.httpStatus;
  const body = JSON.stringify(error.toEnvelope());
  const all = { ...headers, ...(error.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(error.retryAfterSeconds) }) };
  const extra = Object.entries(all).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  // A peer that never reads would keep the half-closed socket forever.
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
