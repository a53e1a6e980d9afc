import type { EndpointEntry, FunctionEntry, GroupEntry, TaskEntry } from './records.js';

/** What every store offers: entries by id, and all of them for the expiry sweep. */
export interface EntryStore<T extends { readonly id: string }> {
  get(id: string): T | undefined;
  put(entry: T): void;
  delete(id: string): void;
  /** Every entry, for expiry sweeps. */
  values(): IterableIterator<T>;
  readonly size: number;
}

/**
 * Where the service keeps tasks. The in-memory one is {@link MemoryStores}; another backend
 * (Redis, a database) implements the same small interfaces without touching the routes.
 */
export type TaskStore = EntryStore<TaskEntry>;

/** Where the service keeps functions. */
export type FunctionStore = EntryStore<FunctionEntry>;

/** Where the service keeps task groups. */
export type GroupStore = EntryStore<GroupEntry>;

/** Where the service keeps endpoints. */
export type EndpointStore = EntryStore<EndpointEntry>;

/** All the stores a service needs. */
export interface Stores {
  readonly tasks: TaskStore;
  readonly functions: FunctionStore;
  readonly groups: GroupStore;
  readonly endpoints: EndpointStore;
}
