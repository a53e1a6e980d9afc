import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { parseBody, registerEndpointBody } from '../schemas.js';
import type { ServiceCore } from '../ServiceCore.js';
import { uuidParam } from './checkCount.js';

function idOf(request: FastifyRequest): string {
  return uuidParam((request.params as { id: string }).id, 'endpoint id');
}

/** One endpoint as `GET /v2/endpoints` (and the dashboard) lists it. */
export interface EndpointRow {
  readonly endpoint_id: string;
  readonly name: string;
  readonly status: 'online' | 'offline';
  readonly connections_here: number;
  readonly tasks_held: number;
  readonly workers: { readonly total: number; readonly free: number } | null;
  readonly last_seen: string;
}

/**
 * A user's endpoints: status, and for those connected to this replica their workers and the
 * tasks they hold.
 *
 * @param core - the broker and the hubs' holdings
 * @param userId - the owner
 * @returns the rows, by name
 * @example
 * ```ts
 * const rows = await listEndpoints(core, request.userId);
 * ```
 */
export async function listEndpoints(core: ServiceCore, userId: string): Promise<EndpointRow[]> {
  const holdings = core.endpointHoldings?.() ?? [];
  return (await core.broker.endpointsOf(userId)).map(({ endpoint, online }) => {
    const here = holdings.filter((h) => h.endpointId === endpoint.id);
    const reported = here.filter((h) => h.workers !== null);
    return {
      endpoint_id: endpoint.id,
      name: endpoint.name,
      status: online ? 'online' : 'offline',
      // Known only for the connections this replica holds (each replica answers for its own).
      connections_here: here.length,
      tasks_held: here.reduce((n, h) => n + h.inflight, 0),
      workers: reported.length === 0 ? null : { total: reported.reduce((n, h) => n + h.workers!.total, 0), free: reported.reduce((n, h) => n + h.workers!.free, 0) },
      last_seen: new Date(endpoint.lastSeenAt).toISOString(),
    };
  });
}

/**
 * `POST /v2/endpoints`, `GET /v2/endpoints` (the caller's endpoints: status, and for those
 * connected to this replica their workers and the tasks they hold) and `GET /v2/endpoints/<id>/status`.
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
    app.get('/v2/endpoints', async (request) => ({ endpoints: await listEndpoints(core, request.userId) }));
    app.get('/v2/endpoints/:id/status', async (request) => {
      const id = idOf(request);
      return { status: await core.broker.endpointStatus(request.userId, id), logs: [], languages: core.endpointLanguages?.(id) ?? null, engine: core.endpointEngine?.(id) ?? null };
    });
  };
}
