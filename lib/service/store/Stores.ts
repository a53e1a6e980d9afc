import type { EndpointEntry, FunctionEntry, GroupEntry, TaskEntry } from './records.js';

/**
 * Where the service keeps tasks. The in-memory one is {@link MemoryStores}; another backend
 * (Redis, a database) implements the same small interfaces without touching the routes.
 */
export interface TaskStore {
  get(id: string): TaskEntry | undefined;
  put(task: TaskEntry): void;
  delete(id: string): void;
  /** Every task, for retention sweeps. */
  values(): IterableIterator<TaskEntry>;
  readonly size: number;
}

/** Where the service keeps functions. */
export interface FunctionStore {
  get(id: string): FunctionEntry | undefined;
  put(fn: FunctionEntry): void;
}

/** Where the service keeps task groups. */
export interface GroupStore {
  get(id: string): GroupEntry | undefined;
  put(group: GroupEntry): void;
}

/** Where the service keeps endpoints. */
export interface EndpointStore {
  get(id: string): EndpointEntry | undefined;
  put(endpoint: EndpointEntry): void;
}

/** All the stores a service needs. */
export interface Stores {
  readonly tasks: TaskStore;
  readonly functions: FunctionStore;
  readonly groups: GroupStore;
  readonly endpoints: EndpointStore;
}
