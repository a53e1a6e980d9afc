import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ServiceCore } from '../ServiceCore.js';
import { uuidParam } from './checkCount.js';

function idOf(request: FastifyRequest): string {
  return uuidParam((request.params as { id: string }).id, 'task group id');
}

/**
 * `GET /v2/task_groups/<id>` and `GET /v2/task_groups/<id>/tasks`.
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
      return { task_group_id: group.id, task_ids: await broker.groupTaskIds(group.id) };
    });
  };
}
