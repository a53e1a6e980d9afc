import { Observable, asyncScheduler, defer, retry, throwError, timeout, timer, type SchedulerLike } from 'rxjs';
import { FuncXError } from '../errors/FuncXError.js';
import { ServiceUnreachable } from '../errors/ServiceUnreachable.js';
import { ServiceError } from '../errors/ServiceError.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';

/** How an idempotent request is retried. */
export interface RetryPolicy {
  /** Milliseconds from the first attempt after which no retry starts: the request fails with its last error. */
  readonly deadlineMs: number;
  /** Milliseconds before one attempt is abandoned (and retried). */
  readonly attemptTimeoutMs: number;
  /** The most retries within the deadline. @default Infinity */
  readonly retries?: number | undefined;
  readonly backoff?: BackoffOptions | undefined;
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * Sends one idempotent request as an Observable, and sends it again, with backoff, while its
 * outcome is unknown or the failure transient: a network error, an answer cut mid-body, a
 * timeout, a 5xx, a 429 (after its `Retry-After`). It stops at the policy's deadline, so a
 * service that restarts within it costs a delay, not a failure. Task ids are chosen by the
 * client, so a repeated submit, cancel or status lookup names the same tasks and nothing runs
 * twice (docs/protocol.md §5). Unsubscribing aborts the attempt in flight.
 *
 * @param what - names the request in the timeout's error, such as `POST /submit`
 * @param send - sends the request once; aborting the signal abandons it
 * @param policy - deadline, attempt timeout, retry cap, backoff, scheduler
 * @returns the answer, once
 * @example
 * ```ts
 * const answer = await firstValueFrom(retryIdempotent('POST /submit', (signal) => api.submit(request, signal), { deadlineMs: 30_000, attemptTimeoutMs: 30_000 }));
 * ```
 */
export function retryIdempotent<T>(what: string, send: (signal: AbortSignal) => Promise<T>, policy: RetryPolicy): Observable<T> {
  const { deadlineMs, attemptTimeoutMs, backoff, scheduler } = policy;
  const clock = scheduler ?? asyncScheduler;
  const attempt$ = new Observable<T>((subscriber) => {
    const controller = new AbortController();
    send(controller.signal).then(
      (answer) => {
        subscriber.next(answer);
        subscriber.complete();
      },
      (error: unknown) => subscriber.error(error),
    );
    return () => controller.abort();
  });
  return defer(() => {
    const started = clock.now();
    return attempt$.pipe(
      timeout({
        first: attemptTimeoutMs,
        ...(scheduler ? { scheduler } : {}),
        with: () => throwError(() => new FuncXError(`${what} timed out after ${attemptTimeoutMs} ms`)),
      }),
      retry({
        count: policy.retries ?? Infinity,
        delay: (error: unknown, attempt: number) => {
          if (!isTransient(error)) return throwError(() => error);
          const asked = error instanceof ServiceError ? error.retryAfterMs : null;
          const wait = asked ?? backoffDelay(attempt, backoff);
          if (clock.now() + wait - started > deadlineMs) return throwError(() => error);
          return timer(wait, clock);
        },
      }),
    );
  });
}

/**
 * Whether a failed request may have left the service untouched or in an unknown state, so that
 * repeating it is right.
 *
 * @param error - what the attempt failed with
 * @returns true for network failures, timeouts, 5xx and 429
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof ServiceError) return error.httpStatus >= 500 || error.httpStatus === 429;
  // A service this client never reached (a wrong URL) is said at once, not after the deadline.
  if (error instanceof ServiceUnreachable && error.neverReached) return false;
  return error instanceof FuncXError;
}
