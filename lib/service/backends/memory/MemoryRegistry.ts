/** Entries kept by id, touched when used: the shape of functions and endpoints. */
interface Registered {
  readonly id: string;
  readonly ownerId: string;
  readonly lastUsedAt?: number;
  readonly lastSeenAt?: number;
}

/**
 * Registrations (functions, endpoints) in a Map, with the time each was last used, so that
 * unused ones expire.
 */
export class MemoryRegistry<T extends Registered> {
  readonly #entries = new Map<string, T>();
  readonly #touchKey: 'lastUsedAt' | 'lastSeenAt';

  constructor(touchKey: 'lastUsedAt' | 'lastSeenAt') {
    this.#touchKey = touchKey;
  }

  async get(id: string): Promise<T | undefined> {
    return this.#entries.get(id);
  }

  async insert(entry: T): Promise<void> {
    this.#entries.set(entry.id, Object.freeze({ ...entry }));
  }

  async touch(id: string, now: number): Promise<void> {
    const entry = this.#entries.get(id);
    if (entry) this.#entries.set(id, Object.freeze({ ...entry, [this.#touchKey]: now }));
  }

  async idleBefore(before: number, limit: number): Promise<string[]> {
    const out: string[] = [];
    for (const entry of this.#entries.values()) {
      if (out.length >= limit) break;
      if ((entry[this.#touchKey] ?? 0) < before) out.push(entry.id);
    }
    return out;
  }

  async ownedBy(ownerId: string, limit: number): Promise<T[]> {
    const out: T[] = [];
    for (const entry of this.#entries.values()) {
      if (out.length >= limit) break;
      if (entry.ownerId === ownerId) out.push(entry);
    }
    return out;
  }

  async delete(id: string): Promise<T | null> {
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    return entry ?? null;
  }
}
