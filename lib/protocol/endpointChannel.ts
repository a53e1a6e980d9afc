/**
 * Messages on the endpoint channel: the WebSocket an endpoint opens to the service at
 * `/ws/v2/endpoints/<endpoint_id>` with `Authorization: Bearer <endpoint secret>`
 * (docs/protocol-extensions.md §6). Each text frame holds one message or a JSON array of them,
 * and no frame is larger than {@link FRAME_LIMIT_BYTES} unless it carries a single message that
 * cannot be split.
 */

/**
 * The size a sender keeps its batched frames under, in bytes: batches are split to fit. A single
 * message larger than this goes alone in its frame, so the only large frames are single results,
 * which the receiver's limit (the service's: twice its result limit plus 1 MiB) is made for.
 */
export const FRAME_LIMIT_BYTES = 1024 * 1024;

/**
 * The largest frame an endpoint accepts from the service, in bytes (the service sends functions
 * and payloads far smaller than this).
 */
export const FRAME_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Service to endpoint: run this task. Its function's code is not in it: the endpoint keeps the
 * code of the functions it has seen and asks for the others ({@link EndpointGetFunctionMessage}).
 */
export interface EndpointTaskMessage {
  readonly type: 'task';
  readonly task_id: string;
  readonly function_id: string;
  /** `pack([serialize(args), serialize(kwargs)])`. */
  readonly payload: string;
  /** Per-task time limit in milliseconds, if the submitter set one. */
  readonly timeout_ms?: number;
  /**
   * funcx-rx: the results of the task's inputs (docs/protocol-extensions.md §12), input id →
   * serialized result, each put in place of its marker ({@link TASK_MARKER_KEY}) in the payload
   * before the call. Absent for a task without inputs; an input missing from it is gone (expired).
   */
  readonly inputs?: Readonly<Record<string, string>>;
  /**
   * funcx-rx: how far a generator may stream before it pauses (docs/protocol-extensions.md §11):
   * the first credit, as an {@link EndpointCreditMessage} would give it. Absent: no limit.
   */
  readonly credit?: PartialCredit;
}

/**
 * How many partial results a task may have sent, cumulative since the task began (its first
 * run): partials with `seq < count`, and values of at most `bytes` UTF-8 bytes in all. A generator
 * whose next partial would pass either waits, not yet resumed, until a larger credit comes. A
 * partial whose value alone is larger than the byte window still goes when it is the only one
 * unread (the window is never smaller than the result size limit).
 */
export interface PartialCredit {
  readonly count: number;
  readonly bytes: number;
}

/**
 * Service to endpoint (funcx-rx, §11): the task's readers caught up, so its generator may stream
 * up to this new cumulative credit. A credit smaller than one already given changes nothing.
 */
export interface EndpointCreditMessage extends PartialCredit {
  readonly type: 'credit';
  readonly task_id: string;
}

/**
 * Endpoint to service (funcx-rx, §11): a generator yielded. `seq` counts the task's yields from 0
 * in each run (a task run again yields from 0 again, and the service keeps the first value it
 * heard of each seq). `value` is serialized as a result is (`serialize(value)`), and no larger
 * than a result may be.
 */
export interface EndpointPartialMessage {
  readonly type: 'partial';
  readonly task_id: string;
  readonly seq: number;
  readonly value: string;
}

/**
 * The key of the object that stands for a task's result in a payload's arguments:
 * `{ "__funcx_rx_task__": "<input task id>" }` (a JSON object in JavaScript payloads, a dict in
 * Python ones), anywhere in the args and kwargs.
 */
export const TASK_MARKER_KEY = '__funcx_rx_task__';

/** Service to endpoint: stop this task if it is queued or running; send nothing back for it. */
export interface EndpointCancelMessage {
  readonly type: 'cancel';
  readonly task_id: string;
}

/**
 * Service to endpoint: the code of a function the endpoint asked for, or `error` when the service
 * cannot give it (unknown function, or none of this connection's tasks uses it).
 */
export interface EndpointFunctionMessage {
  readonly type: 'function';
  readonly function_id: string;
  /** `pack([serialize(fn)])`, as registered. */
  readonly function_code?: string;
  readonly error?: string;
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
  /**
   * funcx-rx (§11): set when the function was a generator: how many partials this run yielded
   * (then `result` is the generator's return value). Absent for a plain function.
   */
  readonly partials?: number;
}

/** Endpoint to service: send me this function's code; tasks of it wait here until it comes. */
export interface EndpointGetFunctionMessage {
  readonly type: 'get_function';
  readonly function_id: string;
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

/**
 * What an endpoint says of its engine: the `local` engine (its own worker pool) or the `cluster`
 * engine (blocks of worker managers from a provider), its blocks, managers and workers.
 */
export interface EndpointEngineReport {
  readonly engine: 'local' | 'cluster';
  /** The provider's type (`local`, `slurm`), null for the local engine. */
  readonly provider: string | null;
  /** Blocks asked for and not started, started and taking tasks, draining near their walltime; failed: in all, since the endpoint started. */
  readonly blocks: { readonly pending: number; readonly running: number; readonly draining: number; readonly failed: number };
  /** Worker managers connected. */
  readonly managers: number;
  /** Workers of the running blocks (or of the local pool), and how many are free. */
  readonly workers: { readonly total: number; readonly free: number };
  /** `failed`: blocks cannot be had and tasks fail with `BlocksUnavailable`. */
  readonly state: 'ok' | 'failed';
  /** Why the last block failed, if one did. */
  readonly last_failure: string | null;
}

/** Endpoint to service, after its hello and whenever it changes: its engine's state, for `GET /v2/endpoints/<id>/status`. */
export interface EndpointEngineMessage {
  readonly type: 'engine';
  readonly engine: EndpointEngineReport;
}

/** Anything the service sends an endpoint. */
export type ServiceToEndpoint = EndpointTaskMessage | EndpointCancelMessage | EndpointFunctionMessage | EndpointCreditMessage;

/** Anything an endpoint sends the service. */
export type EndpointToService = EndpointStatusMessage | EndpointResultMessage | EndpointPartialMessage | EndpointGetFunctionMessage | EndpointHelloMessage | EndpointEngineMessage;
