/**
 * Messages between an endpoint's interchange and its worker managers: the WebSocket a manager
 * opens to the interchange with `Authorization: Bearer <manager secret>` (a secret of that
 * endpoint process, never its service secret). Each text frame holds a JSON array of messages.
 * See docs/architecture.md, "Engines, providers and the scaling strategy".
 */
import type { EndpointLanguages, PartialCredit } from '../../protocol/endpointChannel.js';

/** Interchange to manager: run this task. `function_code` comes with a function's first task on this connection. */
export interface ManagerTaskMessage {
  readonly type: 'task';
  readonly task_id: string;
  readonly function_id: string;
  readonly function_code?: string;
  readonly payload: string;
  readonly timeout_ms?: number;
  readonly max_result_bytes?: number;
  /** A generator's credit now (§11): the endpoint's latest, so a task run again on another manager goes on where its credit is. */
  readonly credit?: PartialCredit;
}

/** Interchange to manager: a streaming task's new cumulative credit (§11). */
export interface ManagerCreditMessage extends PartialCredit {
  readonly type: 'credit';
  readonly task_id: string;
}

/** Manager to interchange: a generator yielded (§11), before the task's result on the same connection. */
export interface ManagerPartialMessage {
  readonly type: 'partial';
  readonly task_id: string;
  readonly seq: number;
  readonly value: string;
}

/** Interchange to manager: stop this task; send nothing back for it. */
export interface ManagerCancelMessage {
  readonly type: 'cancel';
  readonly task_id: string;
}

/** Interchange to manager: its block is given back: exit now (it has no task). */
export interface ManagerShutdownMessage {
  readonly type: 'shutdown';
}

/** Manager to interchange, first: which block it belongs to and how many workers of each language it has. */
export interface ManagerRegisterMessage {
  readonly type: 'register';
  readonly block_id: string;
  readonly manager_id: string;
  readonly host: string;
  readonly pid: number;
  readonly languages: EndpointLanguages;
}

/** Manager to interchange: a task ended; exactly one of `result` and `exception` is set. */
export interface ManagerResultMessage {
  readonly type: 'result';
  readonly task_id: string;
  readonly result?: string;
  readonly exception?: string;
  /** Set for a generator: how many partials it streamed. */
  readonly partials?: number;
}

/** Manager to interchange: it does not have this task's function code (evicted): send the task again with it. */
export interface ManagerNeedFunctionMessage {
  readonly type: 'need_function';
  readonly task_id: string;
}

/** Manager to interchange: near its walltime, it takes no new task; it exits once its tasks are done. */
export interface ManagerDrainingMessage {
  readonly type: 'draining';
  readonly reason: string;
}

/** Anything the interchange sends a manager. */
export type InterchangeToManager = ManagerTaskMessage | ManagerCancelMessage | ManagerShutdownMessage | ManagerCreditMessage;

/** Anything a manager sends the interchange. */
export type ManagerToInterchange = ManagerRegisterMessage | ManagerResultMessage | ManagerPartialMessage | ManagerNeedFunctionMessage | ManagerDrainingMessage;

/** The environment variable that carries the manager secret to a manager (never argv, which `ps` shows). */
export const MANAGER_SECRET_ENV = 'FUNCX_MANAGER_SECRET';

/**
 * The environment variable a block's script sets to the time its job started (epoch ms), before
 * `worker_init`: the manager's walltime runs from then, as the scheduler's does, not from its own
 * start a moment later.
 */
export const BLOCK_START_ENV = 'FUNCX_BLOCK_START_MS';

/** The shell line that sets {@link BLOCK_START_ENV} (GNU date). */
export const BLOCK_START_LINE = `export ${BLOCK_START_ENV}=$(date +%s%3N)`;

/** The largest frame either side accepts, in bytes. */
export const MANAGER_FRAME_MAX_BYTES = 64 * 1024 * 1024;
