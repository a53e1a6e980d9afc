import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TaskRecord, UnknownTaskFrame } from '../../../protocol/task.js';
import { ErrorCode } from '../../../protocol/errorCodes.js';
import { ApiError } from '../../ApiError.js';
import { toRecord } from '../../TaskBroker.js';
import { parseBody, submitBody, taskIdsBody } from '../schemas.js';
import type { ServiceCore } from '../ServiceCore.js';
import { checkCount, uuidParam } from './checkCount.js';

/** The most partials one `GET /v2/tasks/<id>/partials` answers. */
export const MAX_PARTIALS_PER_READ = 1000;

/** A whole-number query parameter within bounds, else a 400 that names it. */
function wholeQuery(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) throw new ApiError(ErrorCode.REQUEST_MALFORMED, `Expected \`${name}\` to be a whole number from ${min} to ${max}, got \`${value.slice(0, 40)}\``, [name, value.slice(0, 40)]);
  return n;
}

function idOf(request: FastifyRequest): string {
  return uuidParam((request.params as { id: string }).id, 'task id');
}

/**
 * `POST /v2/submit`, `GET /v2/tasks/<id>`, `POST /v2/tasks/<id>/cancel`, `POST /v2/batch_status`
 * and `POST /v2/cancel`.
 *
 * @param core - the broker and the limits
 * @returns the plugin
 * @example
 * ```ts
 * await app.register(tasksRoutes(core));
 * ```
 */
export function tasksRoutes(core: ServiceCore): FastifyPluginAsync {
  const { broker, options } = core;
  return async (app) => {
    app.post('/v2/submit', async (request, reply) => {
      checkCount(request.body, 'tasks', options.maxTasksPerSubmit, 'maxTasksPerSubmit');
      const body = parseBody(submitBody, request.body);
      // The group's results wait until this answer is written (lib/service/ws/AnswerGate.ts).
      if (body.task_group_id !== undefined && core.answerGate !== undefined) {
        // Whichever comes first: the answer handed to the socket, or the connection gone (the call is idempotent).
        const answered = core.answerGate.hold(body.task_group_id.toLowerCase());
        reply.raw.once('finish', answered).once('close', answered);
      }
      const { groupId, results } = await broker.submit(request.userId, body.task_group_id?.toLowerCase(), body.tasks, body.dependencies);
      const allOk = results.every((r) => r.status === 'Success');
      // On the request's own lines (its reqId): which group, endpoints and tasks; ids only, never payloads.
      const accepted = results.filter((r) => r.status === 'Success').map((r) => r.task_uuid);
      request.log.info({ taskGroupId: groupId, endpointIds: [...new Set(body.tasks.map((t) => t[1]))], accepted: accepted.length, refused: results.length - accepted.length }, 'tasks submitted');
      request.log.debug({ taskGroupId: groupId, taskIds: accepted }, 'task ids submitted');
      return reply.code(allOk ? 200 : 207).send({ response: 'batch', task_group_id: groupId, results });
    });

    app.get('/v2/tasks/:id', async (request) => {
      const task = await broker.visibleTask(request.userId, idOf(request));
      await broker.markRead([task]);
      return toRecord(task);
    });

    // funcx-rx (docs/protocol-extensions.md §11): a generator's partials by index; reading acknowledges them.
    app.get('/v2/tasks/:id/partials', async (request) => {
      const task = await broker.visibleTask(request.userId, idOf(request));
      const query = request.query as { from?: string; limit?: string };
      const from = wholeQuery(query.from, 'from', 0, Number.MAX_SAFE_INTEGER, 0);
      const limit = wholeQuery(query.limit, 'limit', 1, MAX_PARTIALS_PER_READ, MAX_PARTIALS_PER_READ);
      return broker.partials.read(task, from, limit);
    });

    app.post('/v2/tasks/:id/cancel', async (request) => toRecord((await broker.cancelMany([await broker.visibleTask(request.userId, idOf(request))]))[0]!));

    app.post('/v2/batch_status', async (request) => {
      checkCount(request.body, 'task_ids', options.maxIdsPerRequest, 'maxIdsPerRequest');
      const { task_ids } = parseBody(taskIdsBody, request.body);
      const results: Record<string, TaskRecord | UnknownTaskFrame> = {};
      const visible = await broker.visibleTasks(request.userId, task_ids);
      await broker.markRead(visible.values());
      // Every id asked about is answered, as funcX did: a client sweeping its tasks learns that one is gone.
      for (const id of task_ids) {
        const task = visible.get(id);
        results[id] = task === undefined ? { task_id: id, status: 'Failed', reason: 'Unknown task id' } : toRecord(task);
      }
      return { response: 'batch', results };
    });

    app.post('/v2/cancel', async (request) => {
      checkCount(request.body, 'task_ids', options.maxIdsPerRequest, 'maxIdsPerRequest');
      const { task_ids } = parseBody(taskIdsBody, request.body);
      const results: Record<string, TaskRecord> = {};
      const visible = [...(await broker.visibleTasks(request.userId, task_ids))];
      const after = await broker.cancelMany(visible.map(([, task]) => task));
      // The first 100 ids: a line stays short however large the request.
      request.log.info({ cancelled: visible.length, taskIds: visible.slice(0, 100).map(([id]) => id) }, 'tasks cancelled');
      visible.forEach(([id], i) => (results[id] = toRecord(after[i]!)));
      return { response: 'batch', results };
    });
  };
}
