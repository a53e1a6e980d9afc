import type { EndpointEntry, FunctionEntry, GroupEntry, TaskEntry } from './records.js';
import type { EndpointStore, EntryStore, FunctionStore, GroupStore, Stores, TaskStore } from './Stores.js';

class MapStore<T extends { readonly id: string }> implements EntryStore<T> {
  protected readonly map = new Map<string, T>();
  get(id: string): T | undefined {
    return this.map.get(id);
  }
  put(entry: T): void {
    this.map.set(entry.id, entry);
  }
  delete(id: string): void {
    this.map.delete(id);
  }
  values(): IterableIterator<T> {
    return this.map.values();
  }
  get size(): number {
    return this.map.size;
  }
}

/**
 * The in-memory stores: maps by id, O(1) per operation. Everything is lost when the process
 * ends.
 *
 * @example
 * ```ts
 * const service = await FuncXService.start({ stores: new MemoryStores() });
 * ```
 */
export class MemoryStores implements Stores {
  readonly tasks: TaskStore = new MapStore<TaskEntry>();
  readonly functions: FunctionStore = new MapStore<FunctionEntry>();
  readonly groups: GroupStore = new MapStore<GroupEntry>();
  readonly endpoints: EndpointStore = new MapStore<EndpointEntry>();
}
