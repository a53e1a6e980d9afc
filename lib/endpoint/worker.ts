/**
 * The worker-thread side of {@link WorkerPool}: loads a task's function (cached per function id
 * for the worker's life), calls it, and returns the serialized outcome. User errors never escape
 * as rejections: they come back as a serialized exception. `runBatch` runs a micro-batch: several
 * tasks in one dispatch, each outcome posted as soon as it is made.
 */
import type { MessagePort } from 'node:worker_threads';
import type { TaskOptions } from '../serialize/taskOptions.js';
import { serialize, serializeError, unpackPayload } from '../serialize/serialize.js';
import { BatchClaim } from './batchClaims.js';
import { loadFunction, type RemoteFunction } from './loadFunction.js';
import { ResultTooLarge } from './ResultTooLarge.js';

/** What the pool sends a worker. */
export interface WorkerTask {
  readonly functionId: string;
  readonly functionCode: string;
  readonly payload: string;
  /** The largest serialized result it may return, in bytes; a larger one fails with `ResultTooLarge`. */
  readonly maxResultBytes?: number;
  /** The task's id (Python: `GC_TASK_UUID`, and its sandbox directory's name). */
  readonly taskId?: string;
  /** The options a Globus Compute (v3) submit gave it, taken off its payload. */
  readonly options?: TaskOptions | null;
  /** Python: where each task's sandbox directory goes (`GC_TASK_SANDBOX_DIR` is `<sandboxDir>/<taskId>`). */
  readonly sandboxDir?: string;
  /** Python: the MPI launcher an `MPIFunction`'s `PARSL_MPI_PREFIX` starts with. */
  readonly mpiLauncher?: string;
}

/** What a worker sends back: a serialized result or a serialized exception. */
/** A task's outcome from its worker; `crashed` when the worker itself died under it (counted by the endpoint's metrics, never sent). */
export type WorkerOutcome = { readonly result: string } | { readonly exception: string; readonly crashed?: true };

/** What the pool sends a worker for a micro-batch. */
export interface WorkerBatch {
  /** Each function's code, once per batch. */
  readonly code: Readonly<Record<string, string>>;
  readonly tasks: readonly { readonly functionId: string; readonly payload: string }[];
  readonly maxResultBytes?: number;
  /** One {@link BatchClaim} word per task, shared with the pool. */
  readonly claims: Int32Array;
  /** Where each outcome goes once made, as `[position, outcome, milliseconds]`; closed at the end. */
  readonly port: MessagePort;
}

/** One outcome of a micro-batch, as posted: the task's position, its outcome, how long it ran. */
export type BatchOutcome = readonly [position: number, outcome: WorkerOutcome, ms: number];

/** Compiled functions kept per worker, most recently used last; the oldest goes past this count. */
const COMPILED_FUNCTIONS = 256;
const functions = new Map<string, RemoteFunction>();

function explain(error: unknown): unknown {
  if (error instanceof ReferenceError) {
    const missing = /^(\S+) is not defined$/.exec(error.message)?.[1];
    if (missing !== undefined) {
      const clear = new ReferenceError(
        `${missing} is not defined: a remote function must be self-contained. It runs in a worker, away from the variables around its definition; use its arguments, globals or \`await import()\` instead of \`${missing}\``,
      );
      clear.stack = `${clear.name}: ${clear.message}\n${error.stack?.split('\n').slice(1).join('\n') ?? ''}`;
      return clear;
    }
  }
  return error;
}

/**
 * Runs one task.
 *
 * @param task - function id, code and payload
 * @returns the serialized result or exception
 */
export default function runTask(task: WorkerTask): Promise<WorkerOutcome> {
  return execute(task.functionId, task.functionCode, task.payload, task.maxResultBytes);
}

/**
 * Runs a micro-batch in order: claims each task before running it (one the pool skipped is
 * passed over) and posts each outcome at once, so a task cancelled later in the batch, or a
 * worker stopped in the middle, loses no outcome already made.
 *
 * @param batch - the functions' code, the tasks, the shared claims and the outcome port
 * @returns when every task is done or skipped, the port closed
 */
export async function runBatch(batch: WorkerBatch): Promise<void> {
  try {
    for (let position = 0; position < batch.tasks.length; position++) {
      if (Atomics.compareExchange(batch.claims, position, BatchClaim.PENDING, BatchClaim.CLAIMED) !== BatchClaim.PENDING) continue;
      const task = batch.tasks[position]!;
      const started = performance.now();
      const outcome = await execute(task.functionId, batch.code[task.functionId] ?? '', task.payload, batch.maxResultBytes);
      batch.port.postMessage([position, outcome, performance.now() - started] satisfies BatchOutcome);
    }
  } finally {
    batch.port.close();
  }
}

async function execute(functionId: string, code: string, payload: string, maxResultBytes: number | undefined): Promise<WorkerOutcome> {
  try {
    let fn = functions.get(functionId);
    if (fn === undefined) {
      fn = loadFunction(code);
      if (functions.size >= COMPILED_FUNCTIONS) functions.delete(functions.keys().next().value as string);
    } else {
      functions.delete(functionId);
    }
    functions.set(functionId, fn);
    const { args, kwargs } = unpackPayload(payload);
    const value = await fn(...(Object.keys(kwargs).length > 0 ? [...args, kwargs] : args));
    const result = serialize(value);
    // Checked here, so an oversized result is never copied out of the worker.
    const tooLarge = maxResultBytes === undefined ? undefined : ResultTooLarge.check(result, maxResultBytes);
    if (tooLarge) return { exception: serializeError(tooLarge) };
    return { result };
  } catch (error) {
    return { exception: serializeError(explain(error)) };
  }
}
