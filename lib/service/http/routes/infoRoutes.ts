import type { FastifyPluginAsync } from 'fastify';
import type { ServiceCore } from '../ServiceCore.js';

/** The service's version, reported by `GET /v2/version`. */
export const API_VERSION = '0.1.0';

/**
 * `GET /v2/health`, `/v2/version`, `/v2/authenticate` and `/v2/stats`.
 *
 * @param core - the broker
 * @returns the plugin
 * @example
 * ```ts
 * await app.register(infoRoutes(core));
 * ```
 */
export function infoRoutes(core: ServiceCore): FastifyPluginAsync {
  return async (app) => {
    app.get('/v2/health', async () => ({ status: 'ok' }));
    app.get('/v2/version', async () => ({ api: API_VERSION, min_sdk_version: API_VERSION, min_ep_version: API_VERSION }));
    // funcX answers the JSON string "OK"; fastify would send a bare string as text/plain.
    app.get('/v2/authenticate', async (_request, reply) => reply.type('application/json').send('"OK"'));
    // Users see their own counters; only an operator sees the service's totals.
    app.get('/v2/stats', async (request) => core.broker.stats({ userId: request.userId, operator: request.operator }));
  };
}
