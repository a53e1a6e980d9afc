import type { FuncXError } from '../errors/FuncXError.js';
import type { TaskStatus } from '../protocol/task.js';

/**
 * One task's state in {@link FuncXClient.getBatchResult}'s answer, as funcX's SDK reports it:
 * pending with its status, or done with its result or its error.
 */
export type BatchResultEntry =
  | { readonly pending: true; readonly status: TaskStatus }
  | { readonly pending: false; readonly status: 'success'; readonly result: unknown; readonly completionTime: number }
  | { readonly pending: false; readonly status: 'failed' | 'cancelled'; readonly error: FuncXError; readonly completionTime: number };
