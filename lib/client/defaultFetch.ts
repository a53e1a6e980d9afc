import type { FetchLike } from './HttpApi.js';

/**
 * The runtime's own `fetch`, called as a method of `globalThis`: browsers throw "Illegal
 * invocation" when `window.fetch` is called with any other `this`, as happens to a fetch kept in
 * a field and called as `this.#fetch(...)`. It is looked up on each call, so a fetch patched in
 * later (by zone.js, a test tool, a service worker shim) is the one used. Only a runtime without
 * a global fetch loads cross-fetch, on first use.
 *
 * @param input - the URL
 * @param init - method, headers, body, signal
 * @returns the response
 * @example
 * ```ts
 * const response = await defaultFetch('http://127.0.0.1:8080/v2/version');
 * ```
 */
export const defaultFetch: FetchLike = async (input, init) => {
  if (typeof globalThis.fetch === 'function') return globalThis.fetch(input, init);
  const { default: crossFetch } = await import('cross-fetch');
  return (crossFetch as unknown as FetchLike)(input, init);
};
