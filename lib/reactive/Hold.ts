import { Subscription, type Observable } from 'rxjs';

/**
 * Keeps one subscription to a source open while anyone holds it: the first `acquire()`
 * subscribes, the last `release()` unsubscribes. It is a counter, not a subscriber list, so
 * 100,000 outstanding tasks cost one subscription and O(1) per acquire and release (a `share()`
 * with one subscriber per task would pay O(n) to remove each).
 *
 * @example
 * ```ts
 * const hold = new Hold(socket$);
 * hold.acquire(); // connects
 * hold.release(); // disconnects
 * ```
 */
export class Hold {
  readonly #source: Observable<unknown>;
  readonly #onError: (error: unknown) => void;
  #count = 0;
  #subscription: Subscription | null = null;

  /**
   * @param source - what to keep subscribed while held
   * @param onError - told when the source errors; the next acquire subscribes again
   */
  constructor(source: Observable<unknown>, onError: (error: unknown) => void = () => {}) {
    this.#source = source;
    this.#onError = onError;
  }

  /** How many holders there are now. */
  get count(): number {
    return this.#count;
  }

  /** Whether the source is subscribed now. */
  get active(): boolean {
    return this.#subscription !== null && !this.#subscription.closed;
  }

  /**
   * Adds a holder; subscribes the source if it was not held.
   *
   * @returns nothing
   * @example
   * ```ts
   * hold.acquire();
   * ```
   */
  acquire(): void {
    this.#count++;
    if (this.active) return;
    // The outer Subscription exists before subscribing, so a release that happens synchronously
    // inside subscribe() still tears the inner one down.
    const outer = new Subscription();
    this.#subscription = outer;
    outer.add(
      this.#source.subscribe({
        error: (error: unknown) => {
          outer.unsubscribe();
          this.#onError(error);
        },
      }),
    );
  }

  /**
   * Removes a holder; unsubscribes the source when it was the last.
   *
   * @returns nothing
   * @example
   * ```ts
   * hold.release();
   * ```
   */
  release(): void {
    if (this.#count === 0) return;
    if (--this.#count > 0) return;
    const subscription = this.#subscription;
    this.#subscription = null;
    subscription?.unsubscribe();
  }
}
