import type { SubmitResponse } from '../protocol/submit.js';
import type { BatchStatusResponse, PartialsPage } from '../protocol/task.js';
import type { ServiceApi } from '../reactive/ServiceApi.js';
import type { HttpApi } from './HttpApi.js';

/**
 * The engine's {@link ServiceApi} over the REST API.
 *
 * @param http - the typed REST caller
 * @returns submit, batch status, cancel and partials over HTTP
 * @example
 * ```ts
 * const api = httpServiceApi(new HttpApi(apiUrl, token));
 * ```
 */
export function httpServiceApi(http: HttpApi): ServiceApi {
  return {
    submit: async (request, signal) => (await http.post<SubmitResponse>('/submit', request, signal)).body,
    batchStatus: async (taskIds, signal) => (await http.post<BatchStatusResponse>('/batch_status', { task_ids: taskIds }, signal)).body,
    cancel: async (taskIds, signal) => (await http.post<BatchStatusResponse>('/cancel', { task_ids: taskIds }, signal)).body,
    partials: async (taskId, from, signal) => (await http.get<PartialsPage>(`/tasks/${encodeURIComponent(taskId)}/partials?from=${from}`, signal)).body,
  };
}
