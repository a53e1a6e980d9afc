import type { Observable } from 'rxjs';

/** What a {@link countingReader} saw of a stream of 0, 1, 2, ...: the values, how many came out of place, and its end. */
export interface CountingReader {
  readonly seen: number[];
  /** Values that were not the next whole number (a repeat, a gap, a swap). */
  readonly outOfOrder: () => number;
  /** Resolves when the stream completes; rejects with its error. */
  readonly done: Promise<void>;
}

/**
 * Subscribes to a stream expected to emit 0, 1, 2, ... once each, and counts what breaks that.
 *
 * @param stream - the stream (a generator task's Observable)
 * @returns what it saw, and its end
 */
export function countingReader(stream: Observable<unknown>): CountingReader {
  const seen: number[] = [];
  let outOfOrder = 0;
  const done = new Promise<void>((resolve, reject) => stream.subscribe({
    next: (v) => {
      if (v !== seen.length) outOfOrder++;
      seen.push(v as number);
    },
    error: reject,
    complete: resolve,
  }));
  return { seen, outOfOrder: () => outOfOrder, done };
}
