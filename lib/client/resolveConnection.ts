import type { TokenProvider } from '../transport/TokenProvider.js';

/** Where the service is and who the user is, after defaults and environment were applied. */
export interface ResolvedConnection {
  /** The service's base URL, without a trailing `/v2`: `http://127.0.0.1:8080`. */
  readonly serviceUrl: string;
  /** The REST base: `<serviceUrl>/v2`. */
  readonly apiUrl: string;
  /** The result WebSocket: `ws(s)://.../ws/v2/`. */
  readonly resultSocketUrl: string;
  /** The token, or the function that gives the current one. */
  readonly token: TokenProvider;
}

function env(name: string): string | undefined {
  // Read without importing node:process, so the client stays browser-safe.
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = proc?.env?.[name];
  return value === '' ? undefined : value;
}

/**
 * Applies the connection defaults: options first, then `FUNCX_SERVICE_URL` and `FUNCX_TOKEN`.
 *
 * @param options - what the caller gave
 * @returns the resolved URLs and token
 * @throws TypeError when no service URL or token can be found, or the URL is not http(s)
 * @example
 * ```ts
 * resolveConnection({ serviceUrl: 'http://127.0.0.1:8080/v2', token: 't' }).resultSocketUrl; // "ws://127.0.0.1:8080/ws/v2/"
 * ```
 */
export function resolveConnection(options: { serviceUrl?: string | undefined; token?: TokenProvider | undefined }): ResolvedConnection {
  const raw = options.serviceUrl ?? env('FUNCX_SERVICE_URL');
  const token = options.token ?? env('FUNCX_TOKEN');
  if (raw === undefined) {
    throw new TypeError('Expected `serviceUrl` (or the FUNCX_SERVICE_URL environment variable) to name the funcX service, got nothing');
  }
  if (token === undefined) {
    throw new TypeError('Expected `token` (or the FUNCX_TOKEN environment variable) to hold a bearer token, got nothing');
  }
  if (typeof token !== 'string' && typeof token !== 'function') {
    throw new TypeError(`Expected \`token\` to be a string or a function giving one, got \`${String(token)}\` (${typeof token})`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`Expected \`serviceUrl\` to be an http(s) URL, got \`${raw}\``);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Expected \`serviceUrl\` to be an http(s) URL, got \`${raw}\``);
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/v2$/, '');
  const serviceUrl = `${url.origin}${path}`;
  const wsOrigin = url.origin.replace(/^http/, 'ws');
  return { serviceUrl, apiUrl: `${serviceUrl}/v2`, resultSocketUrl: `${wsOrigin}${path}/ws/v2/`, token };
}
