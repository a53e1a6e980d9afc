/** Options of {@link FunctionCache}. */
export interface FunctionCacheOptions {
  /**
   * How many functions it keeps at most.
   * @default 1000
   */
  readonly maxFunctions?: number;
  /**
   * How many bytes of function code it keeps at most (UTF-16 length of the code strings).
   * @default 128 MiB
   */
  readonly maxBytes?: number;
}

/**
 * The endpoint's function code, by function id, least recently used first out: a function's code
 * crosses the channel once per connection at most, and stays while it is used. A function larger
 * than `maxBytes` on its own is not kept (its tasks still hold its code while they wait).
 *
 * @example
 * ```ts
 * const cache = new FunctionCache({ maxFunctions: 100 });
 * cache.set(functionId, code);
 * cache.get(functionId); // code, now the most recently used
 * ```
 */
export class FunctionCache {
  readonly #entries = new Map<string, string>();
  readonly #maxFunctions: number;
  readonly #maxBytes: number;
  #bytes = 0;

  /** @param options - the count and byte bounds */
  constructor(options: FunctionCacheOptions = {}) {
    this.#maxFunctions = options.maxFunctions ?? 1000;
    this.#maxBytes = options.maxBytes ?? 128 * 1024 * 1024;
    if (!Number.isInteger(this.#maxFunctions) || this.#maxFunctions < 1) {
      throw new TypeError(`Expected \`maxFunctions\` to be a whole number from 1 and up, got \`${String(options.maxFunctions)}\``);
    }
    if (!Number.isInteger(this.#maxBytes) || this.#maxBytes < 1) {
      throw new TypeError(`Expected \`maxBytes\` to be a whole number from 1 and up, got \`${String(options.maxBytes)}\``);
    }
  }

  /** How many functions it holds. */
  get size(): number {
    return this.#entries.size;
  }

  /** How many bytes of code it holds. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * A function's code, marked as just used.
   *
   * @param functionId - the function
   * @returns its code, or undefined when not kept
   */
  get(functionId: string): string | undefined {
    const code = this.#entries.get(functionId);
    if (code !== undefined) {
      this.#entries.delete(functionId);
      this.#entries.set(functionId, code);
    }
    return code;
  }

  /**
   * Keeps a function's code, dropping the least recently used ones over the bounds.
   *
   * @param functionId - the function
   * @param code - its registered code
   * @returns nothing
   */
  set(functionId: string, code: string): void {
    this.delete(functionId);
    if (code.length > this.#maxBytes) return;
    this.#entries.set(functionId, code);
    this.#bytes += code.length;
    for (const [id, old] of this.#entries) {
      if (this.#entries.size <= this.#maxFunctions && this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(id);
      this.#bytes -= old.length;
    }
  }

  /**
   * Forgets a function.
   *
   * @param functionId - the function
   * @returns whether it was kept
   */
  delete(functionId: string): boolean {
    const code = this.#entries.get(functionId);
    if (code === undefined) return false;
    this.#entries.delete(functionId);
    this.#bytes -= code.length;
    return true;
  }
}
