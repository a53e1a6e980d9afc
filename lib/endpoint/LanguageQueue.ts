import type { EndpointTaskMessage } from '../protocol/endpointChannel.js';
import { codeLanguage, type Language } from '../serialize/codeLanguage.js';

interface Entry {
  readonly task: EndpointTaskMessage;
  readonly order: number;
}

/**
 * The endpoint's waiting tasks, one first-in-first-out line per language, so a task never waits
 * behind tasks of another language whose workers are all busy. Every operation is O(1).
 *
 * @example
 * ```ts
 * const queue = new LanguageQueue();
 * queue.add(task);
 * const next = queue.take((language) => runner.hasRoom(language));
 * ```
 */
export class LanguageQueue {
  readonly #lines: Record<Language, Map<string, Entry>> = { javascript: new Map(), python: new Map() };
  #order = 0;

  /** How many tasks wait, in all languages. */
  get size(): number {
    return this.#lines.javascript.size + this.#lines.python.size;
  }

  /**
   * How many tasks of a language wait.
   *
   * @param language - the language
   * @returns the count
   */
  count(language: Language): number {
    return this.#lines[language].size;
  }

  /**
   * Whether a task waits here.
   *
   * @param taskId - the task
   * @returns true when it waits
   */
  has(taskId: string): boolean {
    return this.#lines.javascript.has(taskId) || this.#lines.python.has(taskId);
  }

  /**
   * Adds a task at the end of its language's line.
   *
   * @param task - the task
   * @returns its language
   */
  add(task: EndpointTaskMessage): Language {
    const language = codeLanguage(task.function_code);
    this.#lines[language].set(task.task_id, { task, order: this.#order++ });
    return language;
  }

  /**
   * Removes a task.
   *
   * @param taskId - the task
   * @returns whether it was waiting
   */
  delete(taskId: string): boolean {
    return this.#lines.javascript.delete(taskId) || this.#lines.python.delete(taskId);
  }

  /** Removes every task. */
  clear(): void {
    this.#lines.javascript.clear();
    this.#lines.python.clear();
  }

  /**
   * Takes the task that has waited longest among the languages that have room.
   *
   * @param hasRoom - whether a language's workers can take a task now
   * @returns the task, removed from the queue, or undefined when none can start
   */
  take(hasRoom: (language: Language) => boolean): EndpointTaskMessage | undefined {
    let best: { line: Map<string, Entry>; entry: Entry } | null = null;
    for (const language of ['javascript', 'python'] as const) {
      const line = this.#lines[language];
      if (line.size === 0 || !hasRoom(language)) continue;
      const entry = line.values().next().value as Entry;
      if (best === null || entry.order < best.entry.order) best = { line, entry };
    }
    if (best === null) return undefined;
    best.line.delete(best.entry.task.task_id);
    return best.entry.task;
  }
}
