import type { EndpointTaskMessage } from '../protocol/endpointChannel.js';
import { codeLanguage, type Language } from '../serialize/codeLanguage.js';

/** A task that can start: its function's code is here. */
export interface ReadyTask {
  readonly task: EndpointTaskMessage;
  readonly code: string;
}

interface Entry {
  readonly ready: ReadyTask;
  readonly order: number;
}

/**
 * The endpoint's waiting tasks, one first-in-first-out line per language, so a task never waits
 * behind tasks of another language whose workers are all busy. Every operation is O(1).
 *
 * @example
 * ```ts
 * const queue = new LanguageQueue();
 * queue.add(task, code);
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
   * @param code - its function's code, which says its language
   * @returns its language
   */
  add(task: EndpointTaskMessage, code: string): Language {
    const language = codeLanguage(code);
    this.#lines[language].set(task.task_id, { ready: { task, code }, order: this.#order++ });
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
   * The task of a language that has waited longest, left in the queue.
   *
   * @param language - the language
   * @returns the task and its code, or undefined when none waits
   */
  peek(language: Language): ReadyTask | undefined {
    return (this.#lines[language].values().next().value as Entry | undefined)?.ready;
  }

  /**
   * Takes the task of a language that has waited longest (for a micro-batch after {@link take}).
   *
   * @param language - the language
   * @returns the task and its code, removed from the queue, or undefined when none waits
   */
  shift(language: Language): ReadyTask | undefined {
    const ready = this.peek(language);
    if (ready !== undefined) this.#lines[language].delete(ready.task.task_id);
    return ready;
  }

  /**
   * Takes the task that has waited longest among the languages that have room.
   *
   * @param hasRoom - whether a language's workers can take a task now
   * @returns the task and its code, removed from the queue, or undefined when none can start
   */
  take(hasRoom: (language: Language) => boolean): ReadyTask | undefined {
    let best: { line: Map<string, Entry>; entry: Entry } | null = null;
    for (const language of ['javascript', 'python'] as const) {
      const line = this.#lines[language];
      if (line.size === 0 || !hasRoom(language)) continue;
      const entry = line.values().next().value as Entry;
      if (best === null || entry.order < best.entry.order) best = { line, entry };
    }
    if (best === null) return undefined;
    best.line.delete(best.entry.ready.task.task_id);
    return best.entry.ready;
  }
}
