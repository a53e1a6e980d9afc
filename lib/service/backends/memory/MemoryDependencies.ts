import type { TaskStatus } from '../../../protocol/lifecycle.js';

/**
 * Who waits on whom, in one process: per input, the tasks waiting on it; per waiting task, how
 * many of its inputs have not succeeded yet. The repository that owns it (MemoryTaskRepo) calls
 * it in the same synchronous step as each write, and it owns its maps: an input's entry goes when
 * the input ends or is deleted, a waiting task's count when it is released, ends or is deleted.
 */
export class MemoryDependencies {
  readonly #dependants = new Map<string, Set<string>>();
  readonly #pending = new Map<string, number>();

  /** How many inputs have dependants, and how many tasks wait (for specs: both go back to 0). */
  get size(): { inputs: number; waiting: number } {
    return { inputs: this.#dependants.size, waiting: this.#pending.size };
  }

  /**
   * Registers a new waiting task on its live inputs.
   *
   * @param id - the waiting task
   * @param inputs - its inputs, each once
   * @param statusOf - an input's status now, or undefined when it is gone
   * @returns how many inputs it still waits for, and the first input that ended without success (or is gone)
   */
  register(id: string, inputs: readonly string[], statusOf: (id: string) => TaskStatus | undefined): { pending: number; doomedBy: string | null } {
    let pending = 0;
    let doomedBy: string | null = null;
    for (const input of inputs) {
      const status = statusOf(input);
      if (status === 'success') continue;
      if (status === undefined || status === 'failed' || status === 'cancelled') {
        doomedBy ??= input;
        continue;
      }
      pending++;
      (this.#dependants.get(input) ?? this.#dependants.set(input, new Set()).get(input)!).add(id);
    }
    if (doomedBy === null && pending > 0) this.#pending.set(id, pending);
    return { pending, doomedBy };
  }

  /**
   * Takes an ended (or deleted) task's dependants, forgetting them.
   *
   * @param id - the input
   * @returns the tasks that waited on it (some may have ended since)
   */
  takeDependants(id: string): string[] {
    const found = this.#dependants.get(id);
    this.#dependants.delete(id);
    return found ? [...found] : [];
  }

  /**
   * Counts one of a waiting task's inputs as succeeded.
   *
   * @param id - the waiting task
   * @returns true when it has no input left to wait for (its count is forgotten)
   */
  countDown(id: string): boolean {
    const left = (this.#pending.get(id) ?? 1) - 1;
    if (left > 0) {
      this.#pending.set(id, left);
      return false;
    }
    this.#pending.delete(id);
    return true;
  }

  /**
   * Forgets a task that stopped waiting (it ended or was deleted).
   *
   * @param id - the task
   * @returns nothing
   */
  forget(id: string): void {
    this.#pending.delete(id);
  }
}
