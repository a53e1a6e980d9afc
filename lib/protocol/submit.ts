import type { EndpointEngineReport, EndpointLanguages } from './endpointChannel.js';
import type { ErrorEnvelope } from './envelope.js';

/**
 * One task of a submit: function id, endpoint id, serialized payload, and (funcx-rx extension)
 * an optional client-chosen task UUID that makes the submit idempotent.
 */
export type SubmitTask =
  | readonly [functionId: string, endpointId: string, payload: string]
  | readonly [functionId: string, endpointId: string, payload: string, taskId: string];

/** The body of `POST /v2/submit`. */
export interface SubmitRequest {
  readonly task_group_id?: string;
  readonly tasks: readonly SubmitTask[];
  /**
   * funcx-rx: per task id (of this request), the tasks whose results it takes as arguments
   * (docs/protocol-extensions.md §12). Each input is an earlier task of the same user: submitted
   * before, or earlier in this request.
   */
  readonly dependencies?: Readonly<Record<string, readonly string[]>>;
}

/** One accepted task of a submit answer. */
export interface SubmitSuccess {
  readonly status: 'Success';
  readonly task_uuid: string;
  readonly http_status_code: number;
}

/** One refused task of a submit answer: an error envelope with the task's id. */
export interface SubmitFailure extends ErrorEnvelope {
  readonly task_uuid: string;
}

/** The body of `POST /v2/submit`'s answer (HTTP 200 when all succeeded, 207 otherwise). */
export interface SubmitResponse {
  readonly response: 'batch';
  readonly task_group_id: string;
  readonly results: readonly (SubmitSuccess | SubmitFailure)[];
}

/** The body of `POST /v2/functions`. */
export interface RegisterFunctionRequest {
  readonly function_name: string;
  readonly entry_point: string;
  readonly function_code: string;
  readonly function_source: string;
  readonly description: string;
}

/** The answer of `POST /v2/functions`. */
export interface RegisterFunctionResponse {
  readonly function_uuid: string;
}

/** The answer of `GET /v2/endpoints/<id>/status`. */
export interface EndpointStatusResponse {
  readonly status: 'online' | 'offline';
  readonly logs: readonly unknown[];
  /** funcx-rx: which languages the endpoint said it runs when it last connected (null if never). */
  readonly languages?: EndpointLanguages | null;
  /** funcx-rx: what the endpoint last said of its engine: blocks pending and running, managers, free workers (null if never). */
  readonly engine?: EndpointEngineReport | null;
}

/** The answer of `GET /v2/version`. */
export interface VersionResponse {
  readonly api: string;
  readonly min_sdk_version: string;
  readonly min_ep_version: string;
}
