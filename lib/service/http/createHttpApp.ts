import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { ErrorCode } from '../../protocol/errorCodes.js';
import { ApiError } from '../ApiError.js';
import { answerClientError } from './answerClientError.js';
import { authPlugin } from './authPlugin.js';
import { dashboardRoutes } from './routes/dashboardRoutes.js';
import { endpointsRoutes } from './routes/endpointsRoutes.js';
import { functionsRoutes } from './routes/functionsRoutes.js';
import { groupsRoutes } from './routes/groupsRoutes.js';
import { infoRoutes } from './routes/infoRoutes.js';
import { tasksRoutes } from './routes/tasksRoutes.js';
import { v3Routes } from './routes/v3Routes.js';
import { OPEN_ROUTES, type ServiceCore } from './ServiceCore.js';
import { registerCors } from './corsPlugin.js';
import { toApiError } from './toApiError.js';

export { API_VERSION } from './routes/infoRoutes.js';

/** Query parameters whose values never reach a log line. */
const SECRET_QUERY = /([?&](?:access_token|token|secret)=)[^&#]*/gi;

/** A request as its log lines show it: no headers (they carry the token), the query's credentials redacted. */
function serializeRequest(request: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }): Record<string, unknown> {
  return { method: request.method, url: request.url?.replace(SECRET_QUERY, '$1[redacted]'), host: request.host, remoteAddress: request.ip, remotePort: request.socket?.remotePort };
}

/**
 * The funcX v2 REST API on fastify: the auth plugin, per-user rate limits, one plugin per group
 * of routes, and every error (the framework's and Node's parser errors included) as funcX's
 * envelope. The plugins see only the broker and the accounts.
 *
 * @param core - the broker, the accounts and the limits
 * @returns the fastify instance, not yet listening
 * @example
 * ```ts
 * const app = createHttpApp(core);
 * await app.listen({ port: 0, host: '127.0.0.1' });
 * ```
 */
export function createHttpApp(core: ServiceCore): FastifyInstance {
  const { options } = core;
  const app = Fastify({
    // Its pino logger, with a request id per request (the caller's x-request-id when given) on
    // every line the request causes; the id goes back in the answer.
    // Its req serializer drops query values that are credentials (a browser may put its token in `access_token`).
    loggerInstance: options.logger.child({ component: 'http' }, { serializers: { req: serializeRequest } }) as FastifyBaseLogger,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: options.maxBodyBytes,
    // Keep-alive connections are closed on close(), so a stopped service lets the process exit.
    forceCloseConnections: true,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    connectionTimeout: options.requestTimeoutMs + options.keepAliveTimeoutMs,
    routerOptions: { maxParamLength: 200 },
    // Node checks header and request timeouts only every connectionsCheckingInterval (30 s by default).
    http: { headersTimeout: options.headersTimeoutMs, connectionsCheckingInterval: Math.max(50, Math.min(1000, options.headersTimeoutMs / 2)) },
    clientErrorHandler: answerClientError,
    // Router errors (a bad percent-encoding, an overlong parameter) never reach the error handler.
    frameworkErrors: (error, _request, reply) => {
      const apiError = toApiError(error, options.maxBodyBytes);
      void (reply as unknown as FastifyReply).code(apiError.httpStatus).send(apiError.toEnvelope());
    },
  });
  app.server.maxConnections = options.maxConnections;
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  const { metrics } = core;
  if (metrics !== undefined) {
    app.addHook('onResponse', async (request, reply) => {
      metrics.httpAnswered(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    });
  }
  // Before the bearer check: preflights carry no Authorization header.
  registerCors(app, options.cors);

  // Every route's path pattern and methods, so an unknown method on a known path is 405, not 404.
  const routes: { readonly pattern: RegExp; readonly methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    // The CORS plugin's catch-all `OPTIONS *` answers preflights; it is no path of the API.
    if (route.url.includes('*')) return;
    const pattern = new RegExp(`^${route.url.replace(/:[^/]+/g, '[^/]+')}/?$`);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const known = routes.find((r) => r.pattern.source === pattern.source);
    if (known) for (const m of methods) known.methods.add(m);
    else routes.push({ pattern, methods: new Set(methods) });
  });

  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error, options.maxBodyBytes);
    // A client's mistake is its answer; anything else is the service's, and logged.
    if (apiError.httpStatus >= 500) request.log.error({ err: error, code: apiError.code }, 'request failed');
    if (apiError.retryAfterSeconds !== undefined) void reply.header('retry-after', String(apiError.retryAfterSeconds));
    return reply.code(apiError.httpStatus).send(apiError.toEnvelope());
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const route = routes.find((r) => r.pattern.test(path));
    const error = route
      ? new ApiError(ErrorCode.METHOD_NOT_ALLOWED, `${request.method} is not allowed on ${path}; use ${[...route.methods].join(', ')}`, [request.method, path])
      : new ApiError(ErrorCode.ROUTE_NOT_FOUND, `No route ${request.method} ${path}`, [request.method, path]);
    if (route) void reply.header('allow', [...route.methods].join(', '));
    return reply.code(error.httpStatus).send(error.toEnvelope());
  });

  void app.register(authPlugin(core));
  void app.register(async (api) => {
    if (options.rateLimit !== false) {
      // After authentication (preHandler), so the limit is per user, not per address.
      await api.register(rateLimit, {
        hook: 'preHandler',
        max: options.rateLimit.max,
        timeWindow: options.rateLimit.windowMs,
        keyGenerator: (request) => request.userId || request.ip,
        ...(core.rateLimitRedis === undefined ? {} : { redis: core.rateLimitRedis, nameSpace: 'fx-rate:' }),
        allowList: (request) => OPEN_ROUTES.has(request.url.split('?')[0]!),
        errorResponseBuilder: (_request, limit) =>
          new ApiError(ErrorCode.RATE_LIMITED, `Rate limit: at most ${limit.max} requests per ${limit.after}; retry in ${Math.ceil(limit.ttl / 1000)} s`, [limit.max, limit.ttl], Math.ceil(limit.ttl / 1000)),
      });
    }
    await api.register(infoRoutes(core));
    await api.register(functionsRoutes(core));
    await api.register(tasksRoutes(core));
    await api.register(groupsRoutes(core));
    await api.register(endpointsRoutes(core));
    await api.register(v3Routes(core));
    await api.register(dashboardRoutes(core));
  });

  return app;
}
