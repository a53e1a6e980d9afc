import type { FastifyPluginAsync } from 'fastify';
import { ErrorCode } from '../../../protocol/errorCodes.js';
import { ApiError } from '../../ApiError.js';
import { dashboardScript, uPlotCss } from '../../dashboard/dashboardAssets.js';
import { DASHBOARD_HTML } from '../../dashboard/page.js';
import type { ServiceCore } from '../ServiceCore.js';
import { listEndpoints } from './endpointsRoutes.js';

/** How often an open dashboard gets a snapshot. */
const TICK_MS = 1000;
/** The most dashboards open at once on one replica: each costs a snapshot a second. */
const MAX_STREAMS = 64;

/**
 * The live dashboard: `GET /dashboard` (the page; open, it holds no data), its script and
 * stylesheet, and `GET /v2/dashboard/stream` (behind the same auth as every route): server-sent
 * events, one snapshot a second of the caller's endpoints, workers, tasks by status, and the
 * tasks ended since the page opened with their summed latency.
 *
 * @param core - the broker, the hubs' holdings and the dashboard feed
 * @returns the plugin
 * @example
 * ```ts
 * await app.register(dashboardRoutes(core));
 * ```
 */
export function dashboardRoutes(core: ServiceCore): FastifyPluginAsync {
  let open = 0;
  return async (app) => {
    app.get('/dashboard', async (_request, reply) => reply.type('text/html; charset=utf-8').send(DASHBOARD_HTML));
    app.get('/dashboard/app.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(await dashboardScript()));
    app.get('/dashboard/uPlot.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(await uPlotCss()));

    app.get('/v2/dashboard/stream', async (request, reply) => {
      const feed = core.dashboardFeed;
      if (feed === undefined) throw new ApiError(ErrorCode.ROUTE_NOT_FOUND, 'This service has no dashboard', []);
      if (open >= MAX_STREAMS) throw new ApiError(ErrorCode.CONNECTION_LIMIT, `${open} dashboards are open on this replica, its limit`, [open], 5);
      open++;
      const { userId } = request;
      const unwatch = feed.watch(userId);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-request-id': request.id });
      let busy = false;
      const tick = async (): Promise<void> => {
        // One snapshot at a time: a slow store skips ticks rather than piling them up.
        if (busy) return;
        busy = true;
        try {
          const [stats, endpoints] = await Promise.all([core.broker.stats({ userId, operator: false }), listEndpoints(core, userId)]);
          const tally = feed.tally(userId);
          const snapshot = { at: Date.now(), tasks_by_status: stats.tasks_by_status, tasks_outstanding: stats.tasks_outstanding, endpoints: endpoints.map(({ name, status, workers }) => ({ name, status, workers })), ended: tally.ended, latency_sum_ms: tally.latencySumMs };
          if (!raw.destroyed) raw.write(`data: ${JSON.stringify(snapshot)}\n\n`);
        } catch (error) {
          request.log.warn({ err: error }, 'a dashboard snapshot failed; the next tick tries again');
        } finally {
          busy = false;
        }
      };
      const timer = setInterval(() => void tick(), TICK_MS);
      void tick();
      const close = (): void => {
        clearInterval(timer);
        unwatch();
        open--;
      };
      raw.once('close', close);
      raw.on('error', (error) => request.log.debug({ err: error }, 'a dashboard stream closed with an error'));
    });
  };
}
