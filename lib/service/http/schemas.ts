import { z } from 'zod';
import { ErrorCode } from '../../protocol/errorCodes.js';
import { ApiError } from '../ApiError.js';

/**
 * `POST /v2/functions`. The funcX SDK 0.3.4 sends `null` for what the user left out
 * (`description`, `container_uuid`, `group`, and `entry_point` or `function_source` in some
 * versions), plus `public` and `searchable`: null means absent, and the keys funcx-rx has no use
 * for are accepted and ignored (docs/protocol-extensions.md §9).
 */
export const registerFunctionBody = z.object({
  function_name: z.string(),
  entry_point: z.string().nullish(),
  function_code: z.string().min(1),
  function_source: z.string().nullish(),
  description: z.string().nullish(),
  container_uuid: z.string().nullish(),
  group: z.string().nullish(),
  public: z.boolean().nullish(),
  searchable: z.boolean().nullish(),
});

const submitTask = z.union([
  z.tuple([z.string(), z.string(), z.string()]),
  z.tuple([z.string(), z.string(), z.string(), z.string()]),
]);

/** `POST /v2/submit`; `dependencies` (task id → its input ids) is funcx-rx's (docs/protocol-extensions.md §12). */
export const submitBody = z.object({
  task_group_id: z.string().optional(),
  tasks: z.array(submitTask),
  dependencies: z.record(z.string(), z.array(z.string())).optional(),
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

/** A page of a listing: `?offset=<n>&limit=<n>` (limit from 1 to 1000). */
export const pageQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/**
 * Checks a query string against a schema; the first problem is answered as funcX's envelope.
 *
 * @param schema - what it must hold
 * @param query - fastify's parsed query
 * @returns the parsed query
 * @throws {@link ApiError} as {@link parseBody} does, naming the parameter
 * @example
 * ```ts
 * const { offset, limit } = parseQuery(pageQuery, request.query);
 * ```
 */
export function parseQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  const parsed = schema.safeParse(query ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const key = issue.path.join('.');
  throw new ApiError(ErrorCode.REQUEST_KEY_ERROR, `Invalid query parameter \`${key}\`: ${issue.message}`, [key]);
}
