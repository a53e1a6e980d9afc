import { Observable, defer, retry, throwError, timeout, timer, type SchedulerLike } from 'rxjs';
import { FuncXError } from '../errors/FuncXError.js';
import { ServiceError } from '../errors/ServiceError.js';
import type { SubmitRequest, SubmitResponse } from '../protocol/submit.js';
import { backoffDelay, type BackoffOptions } from '../reactive/backoff.js';

/** How one submit is sent and retried. */
export interface SubmitRetryOptions {
  /** Retries of an attempt that failed in transit, timed out, or got a 5xx or 429. */
  readonly retries: number;
  /** Gives up on one attempt after this many milliseconds. */
  readonly timeoutMs: number;
  readonly backoff?: BackoffOptions | undefined;
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * Sends one `POST /v2/submit` as an Observable, retrying when the outcome is unknown or
 * transient. Every task carries its client-chosen id, so the service treats a retry as the
 * same tasks and nothing runs twice (docs/protocol-extensions.md §2). Unsubscribing aborts the
 * request in flight.
 *
 * @param send - sends the request once; aborting the signal abandons it
 * @param request - the submit body, with client-chosen task ids
 * @param options - retries, timeout, backoff, scheduler
 * @returns the service's answer, once
 * @example
 * ```ts
 * const answer = await firstValueFrom(submitWithRetry((r, signal) => postSubmit(r, signal), request, { retries: 3, timeoutMs: 30_000 }));
 * ```
 */
export function submitWithRetry(
  send: (request: SubmitRequest, signal: AbortSignal) => Promise<SubmitResponse>,
  request: SubmitRequest,
  options: SubmitRetryOptions,
): Observable<SubmitResponse> {
  const { retries, timeoutMs, backoff, scheduler } = options;
  const attempt$ = new Observable<SubmitResponse>((subscriber) => {
    const controller = new AbortController();
    send(request, controller.signal).then(
      (response) => {
        subscriber.next(response);
        subscriber.complete();
      },
      (error: unknown) => subscriber.error(error),
    );
    return () => controller.abort();
  });
  return defer(() => attempt$).pipe(
    timeout({
      first: timeoutMs,
      ...(scheduler ? { scheduler } : {}),
      with: () => throwError(() => new FuncXError(`POST /submit timed out after ${timeoutMs} ms`)),
    }),
    retry({
      count: retries,
      delay: (error: unknown, attempt: number) => (isTransient(error) ? timer(backoffDelay(attempt, backoff), scheduler) : throwError(() => error)),
    }),
  );
}

/** Whether a failed post may have left the service untouched or in an unknown state, so that retrying the same ids is right. */
function isTransient(error: unknown): boolean {
  if (error instanceof ServiceError) return error.httpStatus >= 500 || error.httpStatus === 429;
  return error instanceof FuncXError;
}
