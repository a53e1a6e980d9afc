import type { FastifyPluginAsync } from 'fastify';
import { ErrorCode } from '../../../protocol/errorCodes.js';
import { ApiError } from '../../ApiError.js';
import type { ServiceCore } from '../ServiceCore.js';

/** The service's version, reported by `GET /v2/version`. */
export const API_VERSION = '0.1.0';

/**
 * `GET /v2/health`, `/v2/version`, `/v2/authenticate`, `/v2/stats`, and the probes `/healthz`
 * (the process answers) and `/readyz` (it accepts work: its store answers; 503 otherwise), which
 * need no token (docs/operations.md).
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
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      const reason = (await core.readiness?.()) ?? null;
      if (reason === null) return { status: 'ready' };
      // funcX's envelope, as every refusal; not logged as a failure (Redis's connection warns on its own).
      const error = new ApiError(ErrorCode.SERVICE_UNAVAILABLE, `Not ready: ${reason}`, [reason], 2);
      return reply.code(error.httpStatus).header('retry-after', String(error.retryAfterSeconds)).send(error.toEnvelope());
    });
    app.get('/v2/version', async () => ({ api: API_VERSION, min_sdk_version: API_VERSION, min_ep_version: API_VERSION }));
    // funcX answers the JSON string "OK"; fastify would send a bare string as text/plain.
    app.get('/v2/authenticate', async (_request, reply) => reply.type('application/json').send('"OK"'));
    // Users see their own counters; only an operator sees the service's totals.
    app.get('/v2/stats', async (request) => core.broker.stats({ userId: request.userId, operator: request.operator }));
  };
}
