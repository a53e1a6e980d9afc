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
import type { PartialCredit } from '../protocol/endpointChannel.js';
import { mayStream, NO_CREDIT_LIMIT, PARTIALS_CHANNEL, type WorkerCredit, type WorkerPartial } from './partialChannel.js';

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
  /** A generator's first credit (§11); without it (or a task id) it streams with no limit. */
  readonly credit?: PartialCredit;
}

/** What a worker sends back: a serialized result or a serialized exception. */
/** A task's outcome from its worker; `crashed` when the worker itself died under it (counted by the endpoint's metrics, never sent). */
export type WorkerOutcome = ({ readonly result: string } | { readonly exception: string; readonly crashed?: true }) & {
  /** Set when the function was a generator: how many partials it streamed (§11). */
  readonly partials?: number;
  /** How long the task ran, in ms, as its worker measured it (a Python process does), without the trip to and from the worker. */
  readonly ms?: number;
};

/** What the pool sends a worker for a micro-batch. */
export interface WorkerBatch {
  /** Each function's code, once per batch. */
  readonly code: Readonly<Record<string, string>>;
  readonly tasks: readonly { readonly functionId: string; readonly payload: string; readonly taskId?: string; readonly credit?: PartialCredit }[];
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
  return execute(task.functionId, task.functionCode, task.payload, task.maxResultBytes, task.taskId, task.credit);
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
      const outcome = await execute(task.functionId, batch.code[task.functionId] ?? '', task.payload, batch.maxResultBytes, task.taskId, task.credit);
      batch.port.postMessage([position, outcome, performance.now() - started] satisfies BatchOutcome);
    }
  } finally {
    batch.port.close();
  }
}

async function execute(functionId: string, code: string, payload: string, maxResultBytes: number | undefined, taskId?: string, credit?: PartialCredit): Promise<WorkerOutcome> {
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
    if (isGenerator(value)) return await stream(value, taskId ?? '', credit ?? NO_CREDIT_LIMIT, maxResultBytes);
    const result = serialize(value);
    // Checked here, so an oversized result is never copied out of the worker.
    const tooLarge = maxResultBytes === undefined ? undefined : ResultTooLarge.check(result, maxResultBytes);
    if (tooLarge) return { exception: serializeError(tooLarge) };
    return { result };
  } catch (error) {
    return { exception: serializeError(explain(error)) };
  }
}

/** Whether a function's return value is a generator object (sync or async): it streams (§11). */
function isGenerator(value: unknown): value is Generator | AsyncGenerator {
  const tag = Object.prototype.toString.call(value);
  return tag === '[object Generator]' || tag === '[object AsyncGenerator]';
}

/**
 * Streams a generator: each yield goes to the endpoint's process as a partial, in order; before
 * each step it waits, not resumed, until the task's credit allows one more, and a value whose
 * bytes the credit does not cover waits, held, for more credit. Its return value is the result.
 * A worker stopped meanwhile (cancel, time limit) ends it with the thread.
 */
async function stream(generator: Generator | AsyncGenerator, taskId: string, first: PartialCredit, maxResultBytes: number | undefined): Promise<WorkerOutcome> {
  const channel = new BroadcastChannel(PARTIALS_CHANNEL);
  let credit = first;
  let wake: (() => void) | null = null;
  channel.onmessage = (event) => {
    const message = (event as MessageEvent<WorkerCredit | WorkerPartial>).data;
    if (message.type !== 'credit' || message.taskId !== taskId) return;
    credit = { count: Math.max(credit.count, message.count), bytes: Math.max(credit.bytes, message.bytes) };
    wake?.();
  };
  const until = async (may: () => boolean): Promise<void> => {
    while (!may()) await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
  };
  let seq = 0;
  let sent = 0;
  try {
    for (;;) {
      await until(() => seq < credit.count);
      const step = await generator.next();
      const text = serialize(step.value);
      const tooLarge = maxResultBytes === undefined ? undefined : ResultTooLarge.check(text, maxResultBytes);
      if (tooLarge) {
        await generator.return(undefined);
        return { exception: serializeError(tooLarge), partials: seq };
      }
      if (step.done) return { result: text, partials: seq };
      const size = Buffer.byteLength(text);
      await until(() => mayStream(credit, seq, sent, size));
      channel.postMessage({ type: 'partial', taskId, seq, value: text } satisfies WorkerPartial);
      seq++;
      sent += size;
    }
  } catch (error) {
    return { exception: serializeError(explain(error)), partials: seq };
  } finally {
    channel.close();
  }
}
