import { pack, unpack } from './pack.js';

/** Method id of the task options buffer: funcx-rx's, a pair Globus Compute does not use. */
export const TASK_OPTIONS_METHOD = 'rx';

/**
 * What a Globus Compute (v3) submit says about its tasks beyond function and arguments. The
 * service carries it to the endpoint as a third buffer of the task's payload (method `rx`, JSON);
 * the endpoint takes it off before a worker reads the arguments (docs/serialization.md, "Task
 * options").
 */
export interface TaskOptions {
  /** Who submitted: `globus-compute` for the v3 submit, whose SDK reads exceptions as text. */
  readonly submitter?: 'globus-compute';
  /** Globus Compute's `result_serializers`: import paths of the strategies to try, in order. */
  readonly result_serializers?: readonly string[];
  /** Globus Compute's `resource_specification` (an `MPIFunction`'s ranks). */
  readonly resource_specification?: Readonly<Record<string, unknown>>;
  /** Globus Compute's `user_endpoint_config` (kept for the endpoint; funcx-rx's endpoint has no templates). */
  readonly user_endpoint_config?: Readonly<Record<string, unknown>>;
  /** Globus Compute's `user_runtime`: the submitter's SDK and Python versions. */
  readonly user_runtime?: Readonly<Record<string, unknown>>;
}

/**
 * Appends task options to a payload as a third packed buffer, `rx\n<json>`.
 *
 * @param payload - `pack([args, kwargs])` as the SDK made it
 * @param options - what to carry
 * @returns the payload with the options buffer after it
 * @example
 * ```ts
 * withTaskOptions('7\n11\n[50]5\n11\n{}', { submitter: 'globus-compute' });
 * // '7\n11\n[50]5\n11\n{}33\nrx\n{"submitter":"globus-compute"}'
 * ```
 */
export function withTaskOptions(payload: string, options: TaskOptions): string {
  return payload + pack([`${TASK_OPTIONS_METHOD}\n${JSON.stringify(options)}`]);
}

/**
 * Takes the options buffer off a payload, if it has one: a cheap look at the packing's
 * headers, so payloads without options (every v2 and TypeScript task) cost two `indexOf`s.
 *
 * @param payload - a task's payload as the service sent it
 * @returns the payload of the arguments alone, and the options (null when none, or unreadable)
 * @example
 * ```ts
 * splitTaskOptions(withTaskOptions(p, { submitter: 'globus-compute' })); // { payload: p, options: { submitter: 'globus-compute' } }
 * ```
 */
export function splitTaskOptions(payload: string): { payload: string; options: TaskOptions | null } {
  // The two buffers (args, kwargs) are skipped by their headers: a payload that ends there has
  // no options. (Lengths count code points: with surrogate pairs only the exact unpacking below
  // can tell.)
  if (!/[\uD800-\uDFFF]/.test(payload)) {
    let end = 0;
    for (let i = 0; i < 2; i++) {
      const newline = payload.indexOf('\n', end);
      if (newline < 0) return { payload, options: null };
      end = newline + 1 + Number(payload.slice(end, newline));
      if (!Number.isInteger(end)) return { payload, options: null };
    }
    if (end >= payload.length) return { payload, options: null };
  }
  let buffers: string[];
  try {
    buffers = unpack(payload);
  } catch {
    // Malformed: the worker reports the payload as it is.
    return { payload, options: null };
  }
  const last = buffers[2];
  if (buffers.length !== 3 || !last!.startsWith(`${TASK_OPTIONS_METHOD}\n`)) return { payload, options: null };
  try {
    const options = JSON.parse(last!.slice(3)) as unknown;
    if (typeof options !== 'object' || options === null || Array.isArray(options)) return { payload, options: null };
    return { payload: pack(buffers.slice(0, 2)), options: options as TaskOptions };
  } catch {
    // Not ours after all (a malformed third buffer): the worker reports the payload as it is.
    return { payload, options: null };
  }
}
