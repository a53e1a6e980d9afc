/**
 * The worker-thread side of {@link WorkerPool}: loads a task's function (cached per function id
 * for the worker's life), calls it, and returns the serialized outcome. User errors never escape
 * as rejections: they come back as a serialized exception.
 */
import { serialize, serializeError, unpackPayload } from '../serialize/serialize.js';
import { loadFunction, type RemoteFunction } from './loadFunction.js';

/** What the pool sends a worker. */
export interface WorkerTask {
  readonly functionId: string;
  readonly functionCode: string;
  readonly payload: string;
}

/** What a worker sends back: a serialized result or a serialized exception. */
export type WorkerOutcome = { readonly result: string } | { readonly exception: string };

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
      functions.set(task.functionId, fn);
    }
    const { args, kwargs } = unpackPayload(task.payload);
    const value = await fn(...(Object.keys(kwargs).length > 0 ? [...args, kwargs] : args));
    return { result: serialize(value) };
  } catch (error) {
    return { exception: serializeError(explain(error)) };
  }
}
