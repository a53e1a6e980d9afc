/**
 * The worker-thread side of {@link WorkerPool}: loads a task's function (cached per function id
 * for the worker's life), calls it, and returns the serialized outcome. User errors never escape
 * as rejections: they come back as a serialized exception.
 */
import { serialize, serializeError, unpackPayload } from '../serialize/serialize.js';
import { loadFunction, type RemoteFunction } from './loadFunction.js';
import { ResultTooLarge } from './ResultTooLarge.js';

/** What the pool sends a worker. */
export interface WorkerTask {
  readonly functionId: string;
  readonly functionCode: string;
  readonly payload: string;
  /** The largest serialized result it may return, in bytes; a larger one fails with `ResultTooLarge`. */
  readonly maxResultBytes?: number;
}

/** What a worker sends back: a serialized result or a serialized exception. */
export type WorkerOutcome = { readonly result: string } | { readonly exception: string };

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
export default async function runTask(task: WorkerTask): Promise<WorkerOutcome> {
  try {
    let fn = functions.get(task.functionId);
    if (fn === undefined) {
      fn = loadFunction(task.functionCode);
      if (functions.size >= COMPILED_FUNCTIONS) functions.delete(functions.keys().next().value as string);
    } else {
      functions.delete(task.functionId);
    }
    functions.set(task.functionId, fn);
    const { args, kwargs } = unpackPayload(task.payload);
    const value = await fn(...(Object.keys(kwargs).length > 0 ? [...args, kwargs] : args));
    const result = serialize(value);
    // Checked here, so an oversized result is never copied out of the worker.
    if (task.maxResultBytes !== undefined && result.length > task.maxResultBytes) {
      const bytes = Buffer.byteLength(result);
      if (bytes > task.maxResultBytes) return { exception: serializeError(new ResultTooLarge(bytes, task.maxResultBytes)) };
    }
    return { result };
  } catch (error) {
    return { exception: serializeError(explain(error)) };
  }
}
