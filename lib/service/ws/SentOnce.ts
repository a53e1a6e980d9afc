/**
 * The task ids whose results one result socket was sent, so it is sent each at most once: funcX
 * sent every result once, and the funcX SDK 0.3.4 fails for good on a result it no longer waits
 * for. A result can otherwise reach a socket twice when it ends while the socket's subscription
 * drains what ended earlier (the live frame, then the drained one). Bounded: the oldest ids go
 * past {@link SentOnce.LIMIT}, far more than can end during one drain.
 *
 * @example
 * ```ts
 * const sent = new SentOnce();
 * sent.add(taskId); // true: send it
 * sent.add(taskId); // false: it went already
 * ```
 */
export class SentOnce {
  /** How many ids one socket remembers. */
  static readonly LIMIT = 10_000;
  readonly #ids = new Set<string>();

  /**
   * Records that a task's result goes out now.
   *
   * @param taskId - the task
   * @returns true when it had not gone out on this socket before
   */
  add(taskId: string): boolean {
    if (this.#ids.has(taskId)) return false;
    this.#ids.add(taskId);
    if (this.#ids.size > SentOnce.LIMIT) this.#ids.delete(this.#ids.values().next().value as string);
    return true;
  }
}
