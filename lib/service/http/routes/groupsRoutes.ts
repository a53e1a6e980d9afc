import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ServiceCore } from '../ServiceCore.js';
import { pageQuery, parseQuery } from '../schemas.js';
import { uuidParam } from './checkCount.js';

function idOf(request: FastifyRequest): string {
  return uuidParam((request.params as { id: string }).id, 'task group id');
}

/**
 * `GET /v2/task_groups/<id>` and `GET /v2/task_groups/<id>/tasks`: every task id as funcX
 * answered it, or, with `?limit=<n>` (and `offset`), one page of tasks with their statuses.
 *
 * @param core - the broker
 * @returns the plugin
 * @example
 * ```ts
 * await app.register(groupsRoutes(core));
 * ```
 */
export function groupsRoutes(core: ServiceCore): FastifyPluginAsync {
  const { broker } = core;
  return async (app) => {
    app.get('/v2/task_groups/:id', async (request) => {
      await broker.visibleGroup(request.userId, idOf(request));
      return { authorized: true };
    });
    app.get('/v2/task_groups/:id/tasks', async (request) => {
      const group = await broker.visibleGroup(request.userId, idOf(request));
      const { offset, limit } = parseQuery(pageQuery, request.query);
      if (limit === undefined && offset === 0) return { task_group_id: group.id, task_ids: await broker.groupTaskIds(group) };
      const page = await broker.groupTaskPage(group, offset, limit ?? 1000);
      return { task_group_id: group.id, task_ids: page.tasks.map((t) => t.task_id), ...page, offset };
    });
  };
}
