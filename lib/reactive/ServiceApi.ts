import type { SubmitRequest, SubmitResponse } from '../protocol/submit.js';
import type { BatchStatusResponse, PartialsPage } from '../protocol/task.js';

/**
 * The four calls the asynchronous engine makes to the service, and nothing else. The client
 * implements it over HTTP; tests may implement it however they like. Every call is idempotent
 * (task ids are the client's), so the engine may repeat any of them when an answer is lost.
 *
 * @example
 * ```ts
 * const api: ServiceApi = {
 *   submit: (request, signal) => http.post('/submit', request, signal).then((a) => a.body),
 *   batchStatus: (ids, signal) => http.post('/batch_status', { task_ids: ids }, signal).then((a) => a.body),
 *   cancel: (ids, signal) => http.post('/cancel', { task_ids: ids }, signal).then((a) => a.body),
 *   partials: (id, from, signal) => http.get(`/tasks/${id}/partials?from=${from}`, signal).then((a) => a.body),
 * };
 * ```
 */
export interface ServiceApi {
  /** `POST /v2/submit`. */
  submit(request: SubmitRequest, signal: AbortSignal): Promise<SubmitResponse>;
  /** `POST /v2/batch_status`: a record for every id asked about. */
  batchStatus(taskIds: readonly string[], signal: AbortSignal): Promise<BatchStatusResponse>;
  /** `POST /v2/cancel`: each task's record after the call. */
  cancel(taskIds: readonly string[], signal: AbortSignal): Promise<BatchStatusResponse>;
  /** `GET /v2/tasks/<id>/partials?from=N`: a generator's partials from index N (funcx-rx §11); reading acknowledges them. */
  partials(taskId: string, from: number, signal: AbortSignal): Promise<PartialsPage>;
}
