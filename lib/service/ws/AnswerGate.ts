/**
 * Holds a task group's results back from this replica's plain funcX result sockets (not those
 * of funcx-rx's client, which connects with `batch=1` and takes results before its answer) while a submit to the group is being
 * answered, and {@link AnswerGate.GRACE_MS} after. The funcX SDK 0.3.x makes a task's future only
 * once it has read the submit's answer, and fails for good on a result for a task it has no future
 * for ("executed, but result is unrecoverable"), or counts its executor's futures wrong; funcX's
 * own service took far longer than that to run a task, this one does not. No event tells when the
 * SDK has made its future, so the gate gives it that long.
 *
 * @example
 * ```ts
 * const done = gate.hold(groupId);
 * reply.raw.once('close', done);
 * if (gate.isHeld(groupId)) await gate.opened(groupId);
 * ```
 */
export class AnswerGate {
  /** How long after an answer was written its group's results still wait, in milliseconds. */
  static readonly GRACE_MS = 100;
  readonly #held = new Map<string, { count: number; opened: Promise<void>; open: () => void }>();

  /**
   * Holds a group's results until the returned call (called once per hold; later calls do nothing).
   *
   * @param groupId - the task group
   * @returns the call that ends this hold
   */
  hold(groupId: string): () => void {
    let entry = this.#held.get(groupId);
    if (entry === undefined) {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      this.#held.set(groupId, (entry = { count: 0, opened, open }));
    }
    entry.count++;
    const held = entry;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--held.count > 0) return;
      const timer = setTimeout(() => {
        if (held.count > 0) return; // held again meanwhile: that hold opens it
        if (this.#held.get(groupId) === held) this.#held.delete(groupId);
        held.open();
      }, AnswerGate.GRACE_MS);
      timer.unref();
    };
  }

  /**
   * Whether a group's results are held now.
   *
   * @param groupId - the task group
   * @returns true while a submit to it is being answered
   */
  isHeld(groupId: string): boolean {
    return this.#held.has(groupId);
  }

  /**
   * Resolves when a group's results are no longer held (at once when they are not).
   *
   * @param groupId - the task group
   * @returns when the last hold ended
   */
  opened(groupId: string): Promise<void> {
    return this.#held.get(groupId)?.opened ?? Promise.resolve();
  }
}
