import { catchError, map, mergeMap, of, type Observable, type OperatorFunction } from 'rxjs';

/** What became of one posted batch: the service's answer, or the error that ended the post. */
export type BatchOutcome<T, R> =
  | { readonly batch: readonly T[]; readonly response: R; readonly error?: undefined }
  | { readonly batch: readonly T[]; readonly error: unknown; readonly response?: undefined };

/**
 * Posts each batch and reports its outcome. A failed post becomes an outcome carrying its error,
 * so it fails exactly that batch and the stream goes on (in funcX a failed post killed the
 * batching thread and left every later future pending forever).
 *
 * @param post - sends one batch; emits the answer once
 * @returns an operator from batches to outcomes, posting concurrently
 * @example
 * ```ts
 * batches$.pipe(postBatches((batch) => from(api.post('/submit', toRequest(batch))))).subscribe(settle);
 * ```
 */
export function postBatches<T, R>(post: (batch: readonly T[]) => Observable<R>): OperatorFunction<T[], BatchOutcome<T, R>> {
  return mergeMap((batch: T[]) =>
    post(batch).pipe(
      map((response): BatchOutcome<T, R> => ({ batch, response })),
      catchError((error: unknown) => of<BatchOutcome<T, R>>({ batch, error })),
    ),
  );
}
