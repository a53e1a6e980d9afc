import type { FastifyPluginAsync } from 'fastify';
import { v4 as uuidv4 } from 'uuid';
import { z } from 'zod';
import { ErrorCode } from '../../../protocol/errorCodes.js';
import type { SubmitFailure, SubmitTask } from '../../../protocol/submit.js';
import { withTaskOptions, type TaskOptions } from '../../../serialize/taskOptions.js';
import { AmqpUnavailable } from '../../amqp/AmqpUnavailable.js';
import { limitHint } from '../../limitHint.js';
import { ApiError } from '../../ApiError.js';
import { parseBody } from '../schemas.js';
import type { ServiceCore } from '../ServiceCore.js';
import { uuidParam } from './checkCount.js';

const jsonObject = z.record(z.string(), z.unknown());

/** `POST /v3/functions`, as Globus Compute's `FunctionRegistrationData.to_dict()` makes it. */
export const v3RegisterFunctionBody = z.object({
  function_name: z.string(),
  function_code: z.string().min(1),
  meta: z.object({ python_version: z.string().nullish(), sdk_version: z.string().nullish(), serde_identifier: z.string().nullish() }).nullish(),
  description: z.string().nullish(),
  public: z.boolean().nullish(),
  group: z.string().nullish(),
  ha_endpoint_id: z.string().nullish(),
});

/** `POST /v3/endpoints/<id>/submit`, as Globus Compute's `Batch.prepare()` makes it. */
export const v3SubmitBody = z.object({
  /** Function id → the packed payloads of its tasks. */
  tasks: z.record(z.string(), z.array(z.string())),
  task_group_id: z.string().nullish(),
  create_queue: z.boolean().nullish(),
  resource_specification: jsonObject.nullish(),
  user_endpoint_config: jsonObject.nullish(),
  user_runtime: jsonObject.nullish(),
  result_serializers: z.array(z.string()).nullish(),
});

/**
 * Globus Compute's v3 routes (the SDK 4.x registers and submits here; it reads tasks on v2):
 * `POST /v3/functions`, `POST /v3/endpoints/<id>/submit`, and `GET
 * /v2/get_amqp_result_connection_url`, where its `Executor` learns where its results are
 * (docs/protocol-extensions.md §10).
 *
 * A v3 submit's options (`result_serializers`, `resource_specification`, `user_endpoint_config`,
 * `user_runtime`) travel to the endpoint with each task, as a third buffer of its payload
 * (docs/serialization.md, "Task options"); `create_queue` publishes the group's results to its
 * AMQP queue.
 *
 * @param core - the broker, the limits and the AMQP transport
 * @returns the plugin
 * @example
 * ```ts
 * await app.register(v3Routes(core));
 * ```
 */
export function v3Routes(core: ServiceCore): FastifyPluginAsync {
  const { broker, options } = core;
  return async (app) => {
    app.post('/v3/functions', async (request) => {
      const body = parseBody(v3RegisterFunctionBody, request.body);
      const id = await broker.registerFunction(request.userId, {
        name: body.function_name,
        entryPoint: body.function_name,
        code: body.function_code,
        source: '',
        description: body.description ?? '',
      });
      return { function_uuid: id };
    });

    app.post('/v3/endpoints/:id/submit', async (request, reply) => {
      const endpointId = uuidParam((request.params as { id: string }).id, 'endpoint id');
      const body = parseBody(v3SubmitBody, request.body);
      const count = Object.values(body.tasks).reduce((n, payloads) => n + payloads.length, 0);
      if (count > options.maxTasksPerSubmit) {
        throw new ApiError(ErrorCode.VALUE_TOO_LARGE, `\`tasks\` has ${count} entries; the limit is ${options.maxTasksPerSubmit} per request ${limitHint('maxTasksPerSubmit')}`, ['tasks', count, options.maxTasksPerSubmit]);
      }
      const taskOptions: TaskOptions = {
        submitter: 'globus-compute',
        ...(body.result_serializers ? { result_serializers: body.result_serializers } : {}),
        ...(body.resource_specification ? { resource_specification: body.resource_specification } : {}),
        ...(body.user_endpoint_config ? { user_endpoint_config: body.user_endpoint_config } : {}),
        ...(body.user_runtime ? { user_runtime: body.user_runtime } : {}),
      };
      const functionIds = Object.keys(body.tasks);
      const tasks: SubmitTask[] = [];
      for (const functionId of functionIds) for (const payload of body.tasks[functionId]!) tasks.push([functionId, endpointId, withTaskOptions(payload, taskOptions)]);
      // The queue is declared, and the group followed, before any task can end.
      const groupId = body.task_group_id == null ? uuidv4() : uuidParam(body.task_group_id, 'task_group_id');
      let counted: ((accepted: number) => void) | null = null;
      if (body.create_queue === true && core.amqpResults !== undefined) {
        counted = await withAmqp(() => core.amqpResults!.follow(request.userId, groupId));
      }
      let answer: Awaited<ReturnType<typeof broker.submit>>;
      try {
        answer = await broker.submit(request.userId, groupId, tasks);
      } catch (error) {
        counted?.(0);
        throw error;
      }
      counted?.(answer.results.filter((r) => r.status === 'Success').length);
      const failures = answer.results.filter((r): r is SubmitFailure => r.status !== 'Success');
      if (failures.length === answer.results.length && failures.length > 0) {
        // Nothing was accepted: the first refusal is the answer, as Globus Compute refuses a whole submit.
        const first = failures[0]!;
        return reply.code(first.http_status_code).send({ status: 'Failed', code: first.code, error_args: first.error_args, reason: first.reason, http_status_code: first.http_status_code });
      }
      const ids: Record<string, string[]> = {};
      let i = 0;
      for (const functionId of functionIds) {
        ids[functionId] = [];
        for (let k = 0; k < body.tasks[functionId]!.length; k++, i++) if (answer.results[i]!.status === 'Success') ids[functionId].push(answer.results[i]!.task_uuid);
      }
      return reply.code(failures.length === 0 ? 200 : 207).send({
        request_id: uuidv4(),
        task_group_id: answer.groupId,
        endpoint_id: endpointId,
        tasks: ids,
        ...(failures.length === 0 ? {} : { errors: failures }),
      });
    });

    app.get('/v2/get_amqp_result_connection_url', async (request) => {
      if (core.amqpResults === undefined) {
        throw new ApiError(ErrorCode.AMQP_UNAVAILABLE, 'This service has no AMQP result transport (start it with the `amqp` option); results are on GET /v2/tasks/<id> and the result WebSocket', []);
      }
      return withAmqp(() => core.amqpResults!.connectionInfo(request.userId));
    });
  };
}

/** Runs an AMQP step, answering RabbitMQ's failures as 503 code 114. */
async function withAmqp<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof AmqpUnavailable) throw new ApiError(ErrorCode.AMQP_UNAVAILABLE, error.message, [], 5);
    throw error;
  }
}
