/**
 * Messages on the endpoint channel: the WebSocket an endpoint opens to the service at
 * `/ws/v2/endpoints/<endpoint_id>` with `Authorization: Bearer <endpoint secret>`
 * (docs/protocol-extensions.md). Each text frame holds one message or a JSON array of them.
 */

/** Service to endpoint: run this task. */
export interface EndpointTaskMessage {
  readonly type: 'task';
  readonly task_id: string;
  readonly function_id: string;
  /** `pack([serialize(fn)])`, as registered. */
  readonly function_code: string;
  /** `pack([serialize(args), serialize(kwargs)])`. */
  readonly payload: string;
  /** Per-task time limit in milliseconds, if the submitter set one. */
  readonly timeout_ms?: number;
}

/** Service to endpoint: stop this task if it is queued or running; send nothing back for it. */
export interface EndpointCancelMessage {
  readonly type: 'cancel';
  readonly task_id: string;
}

/** Endpoint to service: the task moved on (`waiting-for-launch` when queued, `running` when a worker took it). */
export interface EndpointStatusMessage {
  readonly type: 'status';
  readonly task_id: string;
  readonly status: 'waiting-for-launch' | 'running';
}

/** Endpoint to service: the task ended; exactly one of `result` and `exception` is set. */
export interface EndpointResultMessage {
  readonly type: 'result';
  readonly task_id: string;
  readonly result?: string;
  readonly exception?: string;
}

/** Which languages an endpoint runs: JavaScript always; Python when a CPython 3 was found. */
export interface EndpointLanguages {
  readonly javascript: { readonly version: string; readonly workers: number };
  readonly python:
    | { readonly available: true; readonly version: string; readonly executable: string; readonly dill: string | null; readonly workers: number }
    | { readonly available: false; readonly reason: string };
}

/**
 * Endpoint to service, first on every connection: how many tasks it may be sent ahead of its free
 * workers (its credit), and which languages it runs.
 */
export interface EndpointHelloMessage {
  readonly type: 'hello';
  readonly prefetch?: number;
  readonly languages?: EndpointLanguages;
}

/** Anything the service sends an endpoint. */
export type ServiceToEndpoint = EndpointTaskMessage | EndpointCancelMessage;

/** Anything an endpoint sends the service. */
export type EndpointToService = EndpointStatusMessage | EndpointResultMessage | EndpointHelloMessage;
