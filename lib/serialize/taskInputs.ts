import { TASK_MARKER_KEY } from '../protocol/endpointChannel.js';
import { TaskInputMissing } from '../errors/TaskInputMissing.js';
import { pack } from './pack.js';

/**
 * Method id of the task inputs buffer: funcx-rx's, a pair Globus Compute does not use. The
 * endpoint appends it to a task's payload as a third buffer, `ri\n<json: input id → serialized
 * result>`, so that every path to a worker (one task, a micro-batch, a cluster engine, CPython)
 * carries the inputs with the arguments; the worker takes it off and puts each input's value in
 * place of its marker.
 */
export const TASK_INPUTS_METHOD = 'ri';

/**
 * Appends a task's inputs to its payload as a third packed buffer.
 *
 * @param payload - `pack([args, kwargs])`
 * @param inputs - input id → serialized result (the task message's `inputs`)
 * @returns the payload with the inputs buffer after it
 * @example
 * ```ts
 * withTaskInputs(packPayload([{ __funcx_rx_task__: id }]), { [id]: '11\n4' });
 * ```
 */
export function withTaskInputs(payload: string, inputs: Readonly<Record<string, string>>): string {
  return payload + pack([`${TASK_INPUTS_METHOD}\n${JSON.stringify(inputs)}`]);
}

/**
 * Whether a value is the marker that stands for an input task's result.
 *
 * @param value - any value
 * @returns the input's id, or null
 * @example
 * ```ts
 * markedTaskId({ __funcx_rx_task__: 'a1…' }); // 'a1…'
 * ```
 */
export function markedTaskId(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  const id = (value as Record<string, unknown>)[TASK_MARKER_KEY];
  return keys.length === 1 && typeof id === 'string' ? id : null;
}

/**
 * Puts each input's value in place of its marker, anywhere in nested arrays and plain objects.
 * Each input is deserialized once, however often it is named.
 *
 * @param value - arguments as deserialized
 * @param inputs - input id → serialized result
 * @param deserialize - reads one serialized result
 * @returns the arguments with the inputs in place (unchanged parts are the same objects)
 * @throws {@link TaskInputMissing} for a marker whose input is not in `inputs`
 * @example
 * ```ts
 * resolveTaskInputs([{ __funcx_rx_task__: id }, 1], { [id]: '11\n4' }, deserialize); // [4, 1]
 * ```
 */
export function resolveTaskInputs<T>(value: T, inputs: Readonly<Record<string, string>>, deserialize: (buffer: string) => unknown): T {
  const read = new Map<string, unknown>();
  const walk = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    const id = markedTaskId(v);
    if (id !== null) {
      if (!read.has(id)) {
        const buffer = inputs[id];
        if (buffer === undefined) throw new TaskInputMissing(id);
        read.set(id, deserialize(buffer));
      }
      return read.get(id);
    }
    if (Array.isArray(v)) return v.map(walk);
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) out[k] = walk(item);
    return out;
  };
  return walk(value) as T;
}
