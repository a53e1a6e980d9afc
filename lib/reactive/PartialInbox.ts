/**
 * One task's partial results on the client (a generator's yields, docs/protocol-extensions.md
 * §11): the values received in seq order and not yet taken, and who takes them. A value leaves
 * the inbox when it is taken: at once while a push reader is there (the task's Observable
 * subscribers, or an `await` that wants only the return value); one at a time, as it asks, when
 * a pull reader (`task.partials()`) is there. Each value taken is reported (`onTaken`), so the
 * client acknowledges it and the service gives the generator more credit: a reader that does not
 * take keeps the generator paused on its endpoint, and this inbox holds at most the service's
 * window.
 *
 * @example
 * ```ts
 * const inbox = new PartialInbox<number>((seq) => ack(taskId, seq));
 * inbox.attach((value) => console.log(value));
 * inbox.offer(0, 1); // logs 1, acknowledges seq 0
 * ```
 */
export class PartialInbox<T = unknown> {
  /** The seq expected next: every one below it was received. */
  next = 0;
  /** The highest seq heard of plus one (a frame past `next` means some were missed). */
  heard = 0;
  /** Set from the result: how many the generator yielded in all; null until then. */
  total: number | null = null;
  readonly #held: T[] = [];
  readonly #push = new Set<(value: T) => void>();
  /** Pull readers waiting for a value. */
  readonly #waiting: ((result: IteratorResult<T, undefined>) => void)[] = [];
  #pullers = 0;
  #drain = false;
  #ended: { error: unknown } | { done: true } | null = null;
  readonly #onTaken: (seq: number) => void;

  /** @param onTaken - told of the last seq taken, after each take */
  constructor(onTaken: (seq: number) => void) {
    this.#onTaken = onTaken;
  }

  /** How many values wait to be taken. */
  get held(): number {
    return this.#held.length;
  }

  /** Whether every partial the generator yielded has been received (known once the result came). */
  get complete(): boolean {
    return this.total !== null && this.next >= this.total;
  }

  /**
   * Takes a received value: the next one in order is kept (and taken at once when a push reader is
   * there); one heard before is dropped; one past the next marks a gap to read back.
   *
   * @param seq - its seq
   * @param value - its value
   * @returns whether it was the next one
   */
  offer(seq: number, value: T): boolean {
    this.heard = Math.max(this.heard, seq + 1);
    if (seq !== this.next) return false;
    this.next++;
    this.#held.push(value);
    this.#flush();
    return true;
  }

  /** Whether some were missed: heard of past the ones received. */
  get gap(): boolean {
    return this.heard > this.next || (this.total !== null && this.total > this.next);
  }

  /**
   * Adds a push reader: it gets every held value now, then each as it comes.
   *
   * @param reader - called with each value
   * @returns removes it
   */
  attach(reader: (value: T) => void): () => void {
    this.#push.add(reader);
    this.#flush();
    return () => void this.#push.delete(reader);
  }

  /** From now on values nobody else takes are taken and dropped (an `await` wants only the return value). */
  drain(): void {
    this.#drain = true;
    this.#flush();
  }

  /**
   * A pull reader: each `next()` takes one value, waiting for it; done once the task ended and
   * every value was taken; it throws the task's error.
   *
   * @returns the iterator
   */
  pull(): AsyncIterableIterator<T> {
    this.#pullers++;
    let open = true;
    const close = (): void => {
      if (!open) return;
      open = false;
      this.#pullers--;
      this.#flush();
    };
    const iterator: AsyncIterableIterator<T> = {
      next: () => {
        if (!open) return Promise.resolve({ done: true, value: undefined });
        if (this.#held.length > 0) return Promise.resolve({ done: false, value: this.#take() });
        if (this.#ended !== null) {
          close();
          return 'error' in this.#ended ? Promise.reject(this.#ended.error) : Promise.resolve({ done: true, value: undefined });
        }
        return new Promise((resolve) => this.#waiting.push(resolve));
      },
      return: () => {
        close();
        return Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * Ends the inbox: pull readers get what is held, then done (or the error).
   *
   * @param error - the task's error, if it failed
   * @returns nothing
   */
  end(error?: { error: unknown }): void {
    this.#ended = error ?? { done: true };
    this.#flush();
    while (this.#waiting.length > 0) {
      const resolve = this.#waiting.shift()!;
      // A waiting reader had nothing held: it ends now, with the task's error if it failed.
      resolve('error' in this.#ended ? (Promise.reject(this.#ended.error) as never) : { done: true, value: undefined });
    }
  }

  #take(): T {
    const value = this.#held.shift()!;
    for (const reader of this.#push) reader(value);
    this.#onTaken(this.next - this.#held.length - 1);
    return value;
  }

  /** Hands held values to whoever takes them now: push readers and drains, unless a pull reader sets the pace. */
  #flush(): void {
    while (this.#held.length > 0 && this.#waiting.length > 0) this.#waiting.shift()!({ done: false, value: this.#take() });
    if (this.#pullers > 0) return;
    if (this.#push.size === 0 && !this.#drain) return;
    while (this.#held.length > 0) this.#take();
  }
}
