import { ServiceUnreachable } from '../errors/ServiceUnreachable.js';
import { FuncXError } from '../errors/FuncXError.js';
import { ServiceError } from '../errors/ServiceError.js';
import { ErrorCode } from '../protocol/errorCodes.js';
import { isErrorEnvelope } from '../protocol/envelope.js';
import { defaultFetch } from './defaultFetch.js';
import { readToken, type TokenProvider } from '../transport/TokenProvider.js';

/** The `fetch` this client calls: the global one's signature. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** What a successful call answered: the parsed body and the HTTP status (200 or 207 for submits). */
export interface HttpAnswer<T> {
  readonly status: number;
  readonly body: T;
}

/**
 * A thin, typed caller of the funcX REST API: adds the bearer token, sends and parses JSON, and
 * turns error envelopes into {@link ServiceError}s. It never retries; callers that may retry
 * (idempotent submits) decide that themselves.
 *
 * @example
 * ```ts
 * const api = new HttpApi('http://127.0.0.1:8080/v2', token);
 * const { body } = await api.get<{ api: string }>('/version');
 * ```
 */
export class HttpApi {
  /** Whether the service ever answered this client (any status): an unreachable service is then taken for a restart. */
  #answered = false;
  readonly #base: string;
  readonly #token: TokenProvider;
  readonly #fetch: FetchLike;

  /**
   * @param apiUrl - the REST base, ending in `/v2`
   * @param token - the bearer token, or a function giving the current one (called per request)
   * @param fetchImpl - the fetch to call (a seam for tests); the runtime's own by default
   */
  constructor(apiUrl: string, token: TokenProvider, fetchImpl?: FetchLike) {
    this.#base = apiUrl;
    this.#token = token;
    this.#fetch = fetchImpl ?? defaultFetch;
  }

  /**
   * `GET <base><path>`.
   *
   * @param path - the route, such as `/tasks/<id>`
   * @param signal - aborts the request
   * @returns the parsed answer
   * @example
   * ```ts
   * await api.get('/tasks/' + taskId);
   * ```
   */
  get<T>(path: string, signal?: AbortSignal): Promise<HttpAnswer<T>> {
    return this.request<T>('GET', path, undefined, signal);
  }

  /**
   * `POST <base><path>` with a JSON body.
   *
   * @param path - the route, such as `/submit`
   * @param body - sent as JSON
   * @param signal - aborts the request
   * @returns the parsed answer
   * @example
   * ```ts
   * await api.post('/batch_status', { task_ids: [id] });
   * ```
   */
  post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<HttpAnswer<T>> {
    return this.request<T>('POST', path, body, signal);
  }

  /**
   * Sends one request.
   *
   * @param method - the HTTP method
   * @param path - the route below the base
   * @param body - sent as JSON when defined
   * @param signal - aborts the request
   * @returns the parsed answer for any 2xx status
   * @throws {@link ServiceError} for an error envelope; {@link FuncXError} for a network failure, a non-JSON answer or a failing `token` function
   * @example
   * ```ts
   * await api.request('GET', '/authenticate');
   * ```
   */
  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<HttpAnswer<T>> {
    const token = await readToken(this.#token);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (signal) init.signal = signal;
    let response: Response;
    try {
      // Called detached, never as a method of this class: a browser's own fetch, injected as
      // `fetch: window.fetch`, throws "Illegal invocation" for any `this` but the window.
      const fetchImpl = this.#fetch;
      response = await fetchImpl(`${this.#base}${path}`, init);
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ServiceUnreachable(method, `${this.#base}${path}`, error, !this.#answered);
    }
    this.#answered = true;
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      // An answer cut mid-body is a network failure like any other: the outcome is unknown.
      if (signal?.aborted) throw error;
      throw new FuncXError(`${method} ${path} failed while reading the answer: ${(error as Error).message}`, { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch (error) {
      throw new ServiceError(
        { code: ErrorCode.UNKNOWN_ERROR, reason: `${method} ${path} answered HTTP ${response.status} with a body that is not JSON`, http_status_code: response.status },
        { cause: error },
      );
    }
    if (!response.ok) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      if (isErrorEnvelope(parsed)) throw new ServiceError({ ...parsed, http_status_code: response.status }, { retryAfterMs });
      throw new ServiceError({ code: ErrorCode.UNKNOWN_ERROR, reason: `${method} ${path} answered HTTP ${response.status}`, http_status_code: response.status }, { retryAfterMs });
    }
    return { status: response.status, body: parsed as T };
  }
}

/**
 * `Retry-After` in milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
 *
 * @param header - the header's value
 * @returns milliseconds to wait, or null when absent or unreadable
 */
function parseRetryAfter(header: string | null): number | null {
  if (header === null || header.trim() === '') return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const when = Date.parse(header);
  return Number.isNaN(when) ? null : Math.max(0, when - Date.now());
}
