import { FuncXError } from '../errors/FuncXError.js';
/**
 * The service refused the endpoint's credentials (HTTP 401 or 403 at the handshake). Retrying
 * cannot help, so the endpoint stops.
 *
 * @example
 * ```ts
 * try { await Endpoint.start(options); } catch (e) { if (e instanceof EndpointAuthError) console.error(e.status); }
 * ```
 */
export class EndpointAuthError extends FuncXError {
  override readonly code = 'FX_ENDPOINT_AUTH';
  /** The HTTP status of the refusal. */
  readonly status: number;

  /** @param status - the HTTP status */
  constructor(status: number) {
    super(`The service refused the endpoint's credentials (HTTP ${status})`);
    this.name = 'EndpointAuthError';
    this.status = status;
  }
}
