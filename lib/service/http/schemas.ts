import { z } from 'zod';
import { ErrorCode } from '../../protocol/errorCodes.js';
import { ApiError } from '../ApiError.js';

/** `POST /v2/functions`. */
export const registerFunctionBody = z.object({
  function_name: z.string(),
  entry_point: z.string().optional(),
  function_code: z.string().min(1),
  function_source: z.string().optional(),
  description: z.string().optional(),
});

const submitTask = z.union([
  z.tuple([z.string(), z.string(), z.string()]),
  z.tuple([z.string(), z.string(), z.string(), z.string()]),
]);

/** `POST /v2/submit`. */
export const submitBody = z.object({
  task_group_id: z.string().optional(),
  tasks: z.array(submitTask),
});

/** `POST /v2/batch_status` and `POST /v2/cancel`. */
export const taskIdsBody = z.object({ task_ids: z.array(z.string()) });

/** `POST /v2/endpoints`. */
export const registerEndpointBody = z.object({ endpoint_name: z.string().min(1), description: z.string().optional() });

/**
 * Validates a request body, turning the first problem into funcX's REQUEST_KEY_ERROR (16) with
 * the offending key in `error_args`.
 *
 * @param schema - the zod schema
 * @param body - the parsed JSON body
 * @returns the typed body
 * @throws {@link ApiError} 16 when a key is missing or of the wrong type
 * @example
 * ```ts
 * const { task_ids } = parseBody(taskIdsBody, request.body);
 * ```
 */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const key = issue.path.length === 0 ? '(body)' : issue.path.join('.');
  throw new ApiError(ErrorCode.REQUEST_KEY_ERROR, `Missing or invalid key \`${key}\`: ${issue.message}`, [key]);
}
