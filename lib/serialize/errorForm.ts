import { Method } from './methods.js';
import { unpack } from './pack.js';
import { pickleRemoteException } from './pickledException.js';
import { serializeError } from './serialize.js';
import { splitTaskOptions, type TaskOptions } from './taskOptions.js';

/**
 * How a task's submitter reads exceptions (docs/serialization.md, "Results"): funcx-rx's `je`;
 * `pickle`, the `00` exception wrapper of a funcX SDK that sent pickled (`00`) arguments; or
 * `text`, the traceback as plain text, which Globus Compute's SDK (the v3 submit) wraps in its
 * `TaskExecutionFailed`.
 */
export type ErrorForm = 'je' | 'pickle' | 'text';

/**
 * Whether a data buffer is a pickle or carries one: `00`, or `13` with a `00` part.
 *
 * @param buffer - one serialized value
 * @returns true for pickled data
 */
function carriesPickle(buffer: string): boolean {
  if (buffer.startsWith(`${Method.DILL_DATA}\n`)) return true;
  if (!buffer.startsWith(`${Method.ALL_DATA}\n`)) return false;
  try {
    return unpack(buffer.slice(3)).some((part) => part.startsWith(`${Method.DILL_DATA}\n`));
  } catch {
    return false; // malformed: the worker reports it, in the default form
  }
}

/**
 * The exception form of a task, from its payload and options: the same rule as the Python
 * worker's `style_of`.
 *
 * @param payload - the task's payload, with or without its options buffer
 * @param options - its options, when already taken off the payload
 * @returns the form its submitter reads
 * @example
 * ```ts
 * errorFormOf('7\n11\n[50]5\n11\n{}'); // "je"
 * ```
 */
export function errorFormOf(payload: string | null, options?: TaskOptions | null): ErrorForm {
  if (payload === null) return options?.submitter === 'globus-compute' ? 'text' : 'je';
  const split = options === undefined ? splitTaskOptions(payload) : { payload, options };
  if (split.options?.submitter === 'globus-compute') return 'text';
  let buffers: string[];
  try {
    buffers = unpack(split.payload);
  } catch {
    return 'je'; // malformed: nobody will read it as a pickle
  }
  return buffers.some(carriesPickle) ? 'pickle' : 'je';
}

/**
 * Serializes an error made outside the user's function (a time limit, a crash, a cancel) in the
 * form its task's submitter reads.
 *
 * @param form - from {@link errorFormOf}
 * @param error - what was thrown
 * @returns the serialized exception
 * @example
 * ```ts
 * serializeErrorAs('text', new Error('boom')); // "Error: boom\n    at ..."
 * ```
 */
export function serializeErrorAs(form: ErrorForm, error: unknown): string {
  if (form === 'je') return serializeError(error);
  const name = error instanceof Error ? error.name : 'NonErrorThrown';
  const message = error instanceof Error ? error.message : String(error);
  if (form === 'pickle') return pickleRemoteException(name, message, '');
  return `${name}: ${message}`;
}
