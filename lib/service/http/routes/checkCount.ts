import { ErrorCode } from '../../../protocol/errorCodes.js';
import { ApiError } from '../../ApiError.js';
import type { FuncXServiceOptions } from '../../FuncXServiceOptions.js';
import { limitHint } from '../../limitHint.js';

/**
 * Refuses a list longer than `max` before any per-item work, so a huge request fails fast.
 *
 * @param body - the parsed request body
 * @param key - the list's key
 * @param max - the most entries allowed
 * @param option - the service option that sets `max`, named in the refusal
 * @returns nothing
 * @throws {@link ApiError} 111 when the list is longer
 * @example
 * ```ts
 * checkCount(request.body, 'tasks', 5000, 'maxTasksPerSubmit');
 * ```
 */
export function checkCount(body: unknown, key: string, max: number, option: keyof FuncXServiceOptions): void {
  const list = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
  if (Array.isArray(list) && list.length > max) {
    throw new ApiError(ErrorCode.VALUE_TOO_LARGE, `\`${key}\` has ${list.length} entries; the limit is ${max} per request ${limitHint(option)}`, [key, list.length, max]);
  }
}

/**
 * A path parameter that must be a UUID, normalized to lower case.
 *
 * @param value - the parameter as sent
 * @param what - its name, for the error
 * @returns the lower-case UUID
 * @throws {@link ApiError} 22 otherwise
 * @example
 * ```ts
 * const id = uuidParam(request.params.id, 'task id');
 * ```
 */
export function uuidParam(value: string, what: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) throw new ApiError(ErrorCode.INVALID_UUID, `Invalid ${what}: ${value}`, [value]);
  return value.toLowerCase();
}
