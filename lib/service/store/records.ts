import type { TaskStatus } from '../../protocol/task.js';

/** A task as the service keeps it. */
export interface TaskEntry {
  readonly id: string;
  readonly ownerId: string;
  readonly groupId: string;
  readonly functionId: string;
  readonly endpointId: string;
  readonly payload: string;
  status: TaskStatus;
  result: string | null;
  exception: string | null;
  /** Epoch milliseconds when it ended, or null. */
  completedAt: number | null;
}

/** A registered function. */
export interface FunctionEntry {
  readonly id: string;
  readonly ownerId: string;
  readonly name: string;
  readonly entryPoint: string;
  readonly code: string;
  readonly source: string;
  readonly description: string;
}

/** A task group: its owner and its tasks in submit order. */
export interface GroupEntry {
  readonly id: string;
  readonly ownerId: string;
  readonly taskIds: Set<string>;
  /** Finished tasks no subscriber has received yet. */
  readonly undelivered: Set<string>;
}

/** A registered endpoint and its credential. */
export interface EndpointEntry {
  readonly id: string;
  readonly ownerId: string;
  readonly name: string;
  readonly secret: string;
}
