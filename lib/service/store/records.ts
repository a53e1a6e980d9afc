import type { TaskStatus } from '../../protocol/task.js';

/** A task as the service keeps it. */
export interface TaskEntry {
  readonly id: string;
  readonly ownerId: string;
  readonly groupId: string;
  readonly functionId: string;
  readonly endpointId: string;
  /** The arguments, held until the task ends; then only their digest is kept. */
  payload: string | null;
  /** SHA-1 of the payload, set when the payload is dropped (a retried submit is compared to it). */
  payloadDigest: string | null;
  status: TaskStatus;
  result: string | null;
  exception: string | null;
  /** Epoch milliseconds when it last started waiting for its endpoint. */
  queuedAt: number;
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
  /** Epoch milliseconds of its registration or its latest submit. */
  lastUsedAt: number;
}

/** A task group: its owner and its tasks in submit order. */
export interface GroupEntry {
  readonly id: string;
  readonly ownerId: string;
  readonly taskIds: Set<string>;
  /** Finished tasks no subscriber has received yet. */
  readonly undelivered: Set<string>;
  /** Epoch milliseconds of its creation or its latest submit. */
  touchedAt: number;
}

/** A registered endpoint and its credential. */
export interface EndpointEntry {
  readonly id: string;
  readonly ownerId: string;
  readonly name: string;
  /** SHA-256 of its secret (lib/service/auth/secretHash.ts); the secret itself is never kept. */
  readonly secretHash: string;
  /** Epoch milliseconds of its registration or its latest connection. */
  lastSeenAt: number;
}
