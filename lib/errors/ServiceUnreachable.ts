import { FuncXError } from './FuncXError.js';

/**
 * A request that got no answer from the service: nothing listens at the URL, the name does not
 * resolve, the connection was reset or timed out. The message names the URL and the network's
 * own reason (such as `ECONNREFUSED 127.0.0.1:8080`), which Node's `fetch` keeps in `cause`.
 *
 * @example
 * ```ts
 * import { ServiceUnreachable } from 'funcx-rx';
 * try { await fxc.version(); } catch (e) { if (e instanceof ServiceUnreachable) console.error(e.url, e.reason); }
 * ```
 */
export class ServiceUnreachable extends FuncXError {
  override readonly code = 'FX_SERVICE_UNREACHABLE';
  /** The URL that was asked. */
  readonly url: string;
  /** The network's reason, from the error's causes. */
  readonly reason: string;
  /**
   * Whether this client never had an answer from the service: a wrong URL, or a service not up.
   * Such a failure is not retried (it says so at once); once the service has answered, an
   * unreachable service is taken for a restart, and retried within the deadlines.
   */
  readonly neverReached: boolean;

  /**
   * @param method - the request's method
   * @param url - the full URL
   * @param error - what `fetch` threw (its `cause` holds the network error)
   * @param neverReached - whether the client never had an answer from the service
   */
  constructor(method: string, url: string, error: unknown, neverReached = false) {
    const reason = networkReason(error);
    super(`${method} ${url} failed: cannot reach the service (${reason})${neverReached ? '; it never answered this client: is the URL right, and the service up?' : ''}`, { cause: error });
    this.name = 'ServiceUnreachable';
    this.url = url;
    this.reason = reason;
    this.neverReached = neverReached;
  }
}

/**
 * The most telling words of a network error: the innermost cause's code and message (`connect
 * ECONNREFUSED 127.0.0.1:8080`), each address of an AggregateError (a name with IPv4 and IPv6
 * addresses), or the error's own message.
 */
function networkReason(error: unknown, depth = 0): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map((e) => networkReason(e, depth + 1)).join('; ');
  if (error.cause !== undefined && depth < 5) return networkReason(error.cause, depth + 1);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message || String(code ?? error.name);
}
