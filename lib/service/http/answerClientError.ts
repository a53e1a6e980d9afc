import type { Socket } from 'node:net';
import { ErrorCode } from '../../protocol/errorCodes.js';
import { ApiError } from '../ApiError.js';
import { writeRawAnswer } from './writeRawAnswer.js';

/** Node's parser and timeout errors, and the funcX code each is answered with. */
function parserError(error: Error & { code?: string }): ApiError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError(ErrorCode.HEADERS_TOO_LARGE, 'The request headers are too large');
    case 'HPE_URI_TOO_LONG':
      return new ApiError(ErrorCode.URI_TOO_LONG, 'The request target is too long');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return new ApiError(ErrorCode.REQUEST_TIMEOUT, 'The request did not arrive in time');
    default:
      return new ApiError(ErrorCode.REQUEST_MALFORMED, `Malformed HTTP request (${error.code ?? error.message})`);
  }
}

/**
 * Answers an error of Node's HTTP parser (a request fastify never sees: bad request line,
 * oversized headers, a header timeout) with funcX's envelope, then closes the connection. Node's
 * default answer is a bare `400 Bad Request` with no body.
 *
 * @param error - the parser's error
 * @param socket - the client's connection
 * @returns nothing
 * @example
 * ```ts
 * Fastify({ clientErrorHandler: answerClientError });
 * ```
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset or a write after the peer left: nothing to answer.
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || !socket.writable) {
    socket.destroy();
    return;
  }
  writeRawAnswer(socket, parserError(error));
}
