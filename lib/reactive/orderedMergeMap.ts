import { Observable, from, type ObservableInput, type OperatorFunction } from 'rxjs';

/**
 * Like `mergeMap` with a concurrency limit, but emits results in the order of the inputs: a
 * result that finishes early waits until those before it have been emitted. Each inner
 * Observable should emit one value (a remote call); an inner error errors the output.
 *
 * @param project - maps an input (and its index) to one result
 * @param concurrency - the most inner subscriptions at once
 * @returns an operator from inputs to results, in input order
 * @example
 * ```ts
 * of(1, 2, 3).pipe(orderedMergeMap((x) => fxc.run(target, x), 2)).subscribe(console.log); // 2, 4, 6 in order
 * ```
 */
export function orderedMergeMap<T, R>(project: (value: T, index: number) => ObservableInput<R>, concurrency = Infinity): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const queue: { value: T; index: number }[] = [];
      // null marks an inner that completed without a value: its place is skipped.
      const done = new Map<number, { value: R } | null>();
      let nextIndex = 0;
      let nextToEmit = 0;
      let active = 0;
      let sourceComplete = false;

      const flush = (): void => {
        while (done.has(nextToEmit)) {
          const entry = done.get(nextToEmit)!;
          done.delete(nextToEmit++);
          if (entry !== null) subscriber.next(entry.value);
        }
        if (sourceComplete && active === 0 && queue.length === 0) subscriber.complete();
      };

      const start = (item: { value: T; index: number }): void => {
        active++;
        let got = false;
        const inner = from(project(item.value, item.index)).subscribe({
          next: (result) => {
            if (got) return;
            got = true;
            done.set(item.index, { value: result });
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            active--;
            if (!got) done.set(item.index, null);
            while (active < concurrency && queue.length > 0) start(queue.shift()!);
            flush();
          },
        });
        subscriber.add(inner);
      };

      subscriber.add(
        source.subscribe({
          next: (value) => {
            const item = { value, index: nextIndex++ };
            if (active < concurrency) start(item);
            else queue.push(item);
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            sourceComplete = true;
            flush();
          },
        }),
      );
    });
}
