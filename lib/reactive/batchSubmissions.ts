import { bufferTime, filter, map, pipe, type OperatorFunction, type SchedulerLike } from 'rxjs';

/** How submissions are grouped into posts. */
export interface BatchingOptions {
  /** Milliseconds to gather submissions before posting them; 0 or less posts each one at once. */
  readonly interval: number;
  /** The most submissions in one post: a full buffer is posted before its interval ends. */
  readonly size: number;
  /** The scheduler for the interval timer (a seam for marble tests). */
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * Groups a stream of submissions into batches: `bufferTime(interval, null, size)`, with empty
 * buffers dropped so an idle interval posts nothing. With `interval <= 0` every submission is
 * its own batch, at once.
 *
 * @param options - interval, size, scheduler
 * @returns an operator from submissions to non-empty batches
 * @example
 * ```ts
 * submissions$.pipe(batchSubmissions({ interval: 1000, size: 128 })).subscribe(postBatch);
 * ```
 */
export function batchSubmissions<T>(options: BatchingOptions): OperatorFunction<T, T[]> {
  if (options.interval <= 0) return map((submission: T) => [submission]);
  return pipe(
    options.scheduler
      ? bufferTime<T>(options.interval, null, options.size, options.scheduler)
      : bufferTime<T>(options.interval, null, options.size),
    filter((batch) => batch.length > 0),
  );
}
