import { concatMap, from, mergeMap, type Observable } from 'rxjs';
import type { TaskRecord } from '../protocol/task.js';
import type { UnknownTaskFrame } from '../protocol/task.js';
import { CLIENT_DEFAULTS } from './defaults.js';
import { retryIdempotent, type RetryPolicy } from './retryIdempotent.js';
import type { ServiceApi } from './ServiceApi.js';

/**
 * The records of tasks, read with `POST /v2/batch_status` in chunks of 1024 ids (funcX's
 * chunk), one chunk after another, each retried as an idempotent request. Every id asked about
 * gets exactly one record: an id the answer leaves out (a service older than funcx-rx's
 * conformance fix) becomes `{"status": "Failed", "reason": "Unknown task id"}`, so an accepted
 * task the service forgot fails instead of waiting forever.
 *
 * @param api - the service
 * @param taskIds - the tasks
 * @param policy - how each chunk is retried
 * @returns one record per id, in order, then complete
 * @example
 * ```ts
 * lookupStatuses(api, ids, policy).subscribe((record) => registry.route(record));
 * ```
 */
export function lookupStatuses(api: ServiceApi, taskIds: readonly string[], policy: RetryPolicy): Observable<TaskRecord | UnknownTaskFrame> {
  const chunks: string[][] = [];
  for (let i = 0; i < taskIds.length; i += CLIENT_DEFAULTS.statusChunk) chunks.push(taskIds.slice(i, i + CLIENT_DEFAULTS.statusChunk));
  return from(chunks).pipe(
    concatMap((chunk) =>
      retryIdempotent('POST /batch_status', (signal) => api.batchStatus(chunk, signal), policy).pipe(
        mergeMap((answer) => chunk.map((id): TaskRecord | UnknownTaskFrame => answer.results[id] ?? { task_id: id, status: 'Failed', reason: 'Unknown task id' })),
      ),
    ),
  );
}
