import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { parseBody, registerEndpointBody } from '../schemas.js';
import type { ServiceCore } from '../ServiceCore.js';
import { uuidParam } from './checkCount.js';

function idOf(request: FastifyRequest): string {
  return uuidParam((request.params as { id: string }).id, 'endpoint id');
}

/**
 * `POST /v2/endpoints` and `GET /v2/endpoints/<id>/status`.
 *
 * @param core - the broker and the accounts
 * @returns the plugin
 * @example
 * ```ts
 * await app.register(endpointsRoutes(core));
 * ```
 */
export function endpointsRoutes(core: ServiceCore): FastifyPluginAsync {
  return async (app) => {
    app.post('/v2/endpoints', async (request) => {
      const body = parseBody(registerEndpointBody, request.body);
      const { endpointId, secret } = await core.accounts.createEndpoint(request.userId, body.endpoint_name);
      return { endpoint_id: endpointId, secret };
    });
    app.get('/v2/endpoints/:id/status', async (request) => {
      const id = idOf(request);
      return { status: await core.broker.endpointStatus(request.userId, id), logs: [], languages: core.endpointLanguages?.(id) ?? null, engine: core.endpointEngine?.(id) ?? null };
    });
  };
}
