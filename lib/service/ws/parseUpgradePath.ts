import { validate as isUuid } from 'uuid';
import { ErrorCode } from '../../protocol/errorCodes.js';
import { ApiError } from '../ApiError.js';

/** Where an upgrade request wants to go. */
export type UpgradeTarget =
  | { readonly kind: 'results'; readonly accessToken: string | undefined; readonly early: boolean }
  | { readonly kind: 'endpoint'; readonly endpointId: string };

/** Longer request targets are refused before any parsing. */
const MAX_URL_LENGTH = 2048;

/**
 * Reads the target of a WebSocket upgrade request without ever throwing: a malformed URL or
 * percent-encoding becomes an {@link ApiError}, as does an unknown path.
 *
 * @param rawUrl - `request.url`, exactly as the client sent it
 * @returns the result socket (with the `access_token` query fallback, and whether it is a funcx-rx client that takes results before its submit answer: `batch=1`), an endpoint's channel, or the refusal
 * @example
 * ```ts
 * const target = parseUpgradePath(request.url);
 * if (target instanceof ApiError) return rejectUpgrade(socket, target);
 * ```
 */
export function parseUpgradePath(rawUrl: string | undefined): UpgradeTarget | ApiError {
  const raw = rawUrl ?? '/';
  if (raw.length > MAX_URL_LENGTH) return new ApiError(ErrorCode.URI_TOO_LONG, `The request target is longer than ${MAX_URL_LENGTH} characters`, [raw.length]);
  let url: URL;
  try {
    url = new URL(raw, 'http://service');
  } catch {
    return new ApiError(ErrorCode.REQUEST_MALFORMED, 'The request target is not a valid URL', []);
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (path === '/ws/v2') return { kind: 'results', accessToken: url.searchParams.get('access_token') ?? undefined, early: url.searchParams.get('batch') === '1' };
  const match = /^\/ws\/v2\/endpoints\/([^/]+)$/.exec(path);
  if (match === null) return new ApiError(ErrorCode.ROUTE_NOT_FOUND, `No WebSocket route ${url.pathname}`, [url.pathname]);
  let endpointId: string;
  try {
    endpointId = decodeURIComponent(match[1]!).toLowerCase();
  } catch {
    return new ApiError(ErrorCode.INVALID_UUID, 'The endpoint id is not valid percent-encoding', [match[1]]);
  }
  if (!isUuid(endpointId)) return new ApiError(ErrorCode.INVALID_UUID, `Invalid endpoint id: ${endpointId}`, [endpointId]);
  return { kind: 'endpoint', endpointId };
}
