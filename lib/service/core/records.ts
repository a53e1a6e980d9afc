import type { TaskStatus } from '../../protocol/task.js';

/**
 * The values the service stores. Repositories take and return copies: a caller never holds an
 * object a backend keeps, so a change is a repository call, never a mutation.
 */

/** A task. */
export interface TaskEntry {
  readonly id: string;
  readonly ownerId: string;
  readonly groupId: string;
  readonly functionId: string;
  readonly endpointId: string;
  /** The arguments, held until the task ends; then only their digest is kept. */
  readonly payload: string | null;
  /** SHA-1 of the payload, computed at submit and kept after the payload is dropped (a retried submit is compared to it). */
  readonly payloadDigest: string | null;
  readonly status: TaskStatus;
  readonly result: string | null;
  readonly exception: string | null;
  /** Epoch milliseconds when it last started waiting for its endpoint. */
  readonly queuedAt: number;
  /** Epoch milliseconds when it ended, or null. */
  readonly completedAt: number | null;
  /**
   * The tasks whose results it takes as arguments (docs/protocol-extensions.md §12), each once;
   * absent or empty for a task without inputs.
   */
  readonly inputs?: readonly string[] | null;
  /** Set when it ended as a generator (docs/protocol-extensions.md §11): how many partials it yielded. */
  readonly partials?: number | null;
}

/** A task with inputs that cannot run: one of its inputs ended without success, or is gone. */
export interface DoomedTask {
  /** The task as it is, waiting for its inputs. */
  readonly task: TaskEntry;
  /** The input that failed, was cancelled, or is gone. */
  readonly inputId: string;
}

/** What a submit's write did (`SubmitPort.submit`). */
export interface SubmitOutcome {
  /** Per task, null when accepted, else the task that already has its id. */
  readonly existing: (TaskEntry | null)[];
  /** Accepted tasks with inputs that had all succeeded: stored in `waiting-for-ep` and queued at once. */
  readonly released: readonly string[];
  /** Accepted tasks with an input already ended otherwise: stored waiting, for the caller to fail. */
  readonly doomed: readonly DoomedTask[];
}

/** What a report's write did (`ReportPort.report`). */
export interface ReportOutcome {
  /** Per move, the task as it was before, or null when nothing changed. */
  readonly moved: (TaskEntry | null)[];
  /** Per end, the same. */
  readonly ended: (TaskEntry | null)[];
  /** Dependants whose last input succeeded with these ends: moved to `waiting-for-ep` and queued, as they were before. */
  readonly released: readonly TaskEntry[];
  /** Waiting dependants of inputs that ended without success here, for the caller to fail. */
  readonly doomed: readonly DoomedTask[];
}

/** How a task ends: the first {@link TaskRepo.complete} wins. */
export interface TaskEnd {
  readonly status: 'success' | 'failed' | 'cancelled';
  readonly result: string | null;
  readonly exception: string | null;
  readonly completedAt: number;
  /** Set for a generator: how many partials it yielded (§11). */
  readonly partials?: number;
}

/** One move of a report (`ReportPort.report`): where the task moves. */
export interface TaskMove {
  readonly id: string;
  readonly to: TaskStatus;
}

/** One end of a report (`ReportPort.report`): how the task ends, and the endpoint that must be its own (any when undefined). */
export interface TaskCompletion {
  readonly id: string;
  readonly end: TaskEnd;
  readonly endpointId?: string;
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
  readonly lastUsedAt: number;
}

/** A task group's own fields; its task ids and undelivered results are kept beside it. */
export interface GroupEntry {
  readonly id: string;
  readonly ownerId: string;
  /** Epoch milliseconds of its creation or its latest submit. */
  readonly touchedAt: number;
}

/** A registered endpoint and its credential. */
export interface EndpointEntry {
  readonly id: string;
  readonly ownerId: string;
  readonly name: string;
  /** SHA-256 of its secret (lib/service/auth/secretHash.ts); the secret itself is never kept. */
  readonly secretHash: string;
  /** Epoch milliseconds of its registration or its latest connection. */
  readonly lastSeenAt: number;
}

/** Who a bearer token belongs to. */
export interface TokenHolder {
  readonly userId: string;
  /** Operators see service-wide statistics; users see their own. */
  readonly operator: boolean;
}
