import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { validate as isUuid } from 'uuid';
import { ErrorCode } from '../../protocol/errorCodes.js';
import type { TaskRecord, UnknownTaskFrame } from '../../protocol/task.js';
import { ApiError } from '../ApiError.js';
import type { TokenHolder } from '../auth/TokenRegistry.js';
import type { ResolvedServiceOptions } from '../FuncXServiceOptions.js';
import type { ServiceStats } from '../ServiceStats.js';
import { toRecord, type TaskBroker } from '../TaskBroker.js';
import type { Stores } from '../store/Stores.js';
import type { EndpointHub } from '../ws/EndpointHub.js';
import { answerClientError } from './answerClientError.js';
import { toApiError } from './toApiError.js';
import { parseBody, registerEndpointBody, registerFunctionBody, submitBody, taskIdsBody } from './schemas.js';

/** The service's version, reported by `GET /v2/version`. */
export const API_VERSION = '0.1.0';

/** What the routes work with. */
export interface HttpAppContext {
  readonly stores: Stores;
  readonly broker: TaskBroker;
  readonly endpoints: EndpointHub;
  readonly stats: ServiceStats;
  /** The holder of a bearer token, if any. */
  readonly holderOf: (token: string) => TokenHolder | undefined;
  /** Registers an endpoint for a user. */
  readonly registerEndpoint: (userId: string, name: string) => { endpointId: string; secret: string };
  readonly options: ResolvedServiceOptions;
}

declare module 'fastify' {
  interface FastifyRequest {
    userId: string;
    operator: boolean;
  }
}

const OPEN_ROUTES = new Set(['/v2/version', '/v2/health']);
/** Longer request targets are answered 414 before routing. */
const MAX_URL_LENGTH = 4096;

function uuidParam(value: string, what: string): string {
  if (!isUuid(value)) throw new ApiError(ErrorCode.INVALID_UUID, `Invalid ${what}: ${value}`, [value]);
  return value.toLowerCase();
}

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

/** Refuses a list longer than `max` before any per-item work, so a huge request fails fast. */
function checkCount(body: unknown, key: string, max: number): void {
  const list = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
  if (Array.isArray(list) && list.length > max) {
    throw new ApiError(ErrorCode.VALUE_TOO_LARGE, `\`${key}\` has ${list.length} entries; the limit is ${max} per request`, [key, list.length, max]);
  }
}

/**
 * The funcX v2 REST API on fastify: auth, per-user rate limits, routes, and every error (the
 * framework's and Node's parser errors included) as funcX's envelope.
 *
 * @param context - stores, task logic, endpoint hub, counters, auth, limits
 * @returns the fastify instance, not yet listening
 * @example
 * ```ts
 * const app = createHttpApp(context);
 * await app.listen({ port: 0, host: '127.0.0.1' });
 * ```
 */
export function createHttpApp(context: HttpAppContext): FastifyInstance {
  const { stores, broker, endpoints, stats, options } = context;
  const app = Fastify({
    logger: false,
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
  app.decorateRequest('userId', '');
  app.decorateRequest('operator', false);

  // Every route's path pattern and methods, so an unknown method on a known path is 405, not 404.
  const routes: { readonly pattern: RegExp; readonly methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    const pattern = new RegExp(`^${route.url.replace(/:[^/]+/g, '[^/]+')}/?$`);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const known = routes.find((r) => r.pattern.source === pattern.source);
    if (known) for (const m of methods) known.methods.add(m);
    else routes.push({ pattern, methods: new Set(methods) });
  });

  app.addHook('onRequest', async (request) => {
    if (request.url.length > MAX_URL_LENGTH) throw new ApiError(ErrorCode.URI_TOO_LONG, `The request target is longer than ${MAX_URL_LENGTH} characters`, [request.url.length]);
    const path = request.url.split('?')[0]!;
    if (OPEN_ROUTES.has(path)) return;
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const holder = token === undefined ? undefined : context.holderOf(token);
    if (holder === undefined) {
      throw new ApiError(ErrorCode.USER_UNAUTHENTICATED, header ? 'The bearer token is not valid' : 'An Authorization: Bearer <token> header is required');
    }
    request.userId = holder.userId;
    request.operator = holder.operator;
  });

  app.setErrorHandler((error, _request, reply) => {
    const apiError = toApiError(error, options.maxBodyBytes);
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

  void app.register(async (api) => {
    if (options.rateLimit !== false) {
      // After authentication (preHandler), so the limit is per user, not per address.
      await api.register(rateLimit, {
        hook: 'preHandler',
        max: options.rateLimit.max,
        timeWindow: options.rateLimit.windowMs,
        keyGenerator: (request) => request.userId || request.ip,
        allowList: (request) => OPEN_ROUTES.has(request.url.split('?')[0]!),
        errorResponseBuilder: (_request, limit) =>
          new ApiError(ErrorCode.RATE_LIMITED, `Rate limit: at most ${limit.max} requests per ${limit.after}; retry in ${Math.ceil(limit.ttl / 1000)} s`, [limit.max, limit.ttl], Math.ceil(limit.ttl / 1000)),
      });
    }
    registerRoutes(api);
  });

  function registerRoutes(api: FastifyInstance): void {
    api.get('/v2/health', async () => ({ status: 'ok' }));
    api.get('/v2/version', async () => ({ api: API_VERSION, min_sdk_version: API_VERSION, min_ep_version: API_VERSION }));
    // funcX answers the JSON string "OK"; fastify would send a bare string as text/plain.
    api.get('/v2/authenticate', async (_request, reply) => reply.type('application/json').send('"OK"'));
    // Users see their own counters; only an operator sees the service's totals.
    api.get('/v2/stats', async (request) => (request.operator ? stats.snapshot() : stats.userSnapshot(request.userId)));

    api.post('/v2/functions', async (request) => {
      const body = parseBody(registerFunctionBody, request.body);
      const id = broker.registerFunction(request.userId, {
        name: body.function_name,
        entryPoint: body.entry_point ?? body.function_name,
        code: body.function_code,
        source: body.function_source ?? '',
        description: body.description ?? '',
      });
      return { function_uuid: id };
    });

    api.post('/v2/submit', async (request, reply) => {
      checkCount(request.body, 'tasks', options.maxTasksPerSubmit);
      const body = parseBody(submitBody, request.body);
      const { groupId, results } = broker.submit(request.userId, body.task_group_id?.toLowerCase(), body.tasks);
      const allOk = results.every((r) => r.status === 'Success');
      return reply.code(allOk ? 200 : 207).send({ response: 'batch', task_group_id: groupId, results });
    });

    api.get('/v2/tasks/:id', async (request) => broker.record(request.userId, uuidParam(idOf(request), 'task id')));

    api.post('/v2/tasks/:id/cancel', async (request) => {
      const task = broker.visibleTask(request.userId, uuidParam(idOf(request), 'task id'));
      broker.cancel(task);
      return toRecord(task);
    });

    api.post('/v2/batch_status', async (request) => {
      checkCount(request.body, 'task_ids', options.maxIdsPerRequest);
      const { task_ids } = parseBody(taskIdsBody, request.body);
      const results: Record<string, TaskRecord | UnknownTaskFrame> = {};
      for (const id of task_ids) {
        const task = stores.tasks.get(id.toLowerCase());
        // Every id asked about is answered, as funcX did: a client sweeping its tasks learns that one is gone.
        results[id] = task !== undefined && task.ownerId === request.userId ? toRecord(task) : { task_id: id, status: 'Failed', reason: 'Unknown task id' };
      }
      return { response: 'batch', results };
    });

    api.post('/v2/cancel', async (request) => {
      checkCount(request.body, 'task_ids', options.maxIdsPerRequest);
      const { task_ids } = parseBody(taskIdsBody, request.body);
      const results: Record<string, TaskRecord> = {};
      for (const id of task_ids) {
        const task = stores.tasks.get(id.toLowerCase());
        if (task === undefined || task.ownerId !== request.userId) continue;
        broker.cancel(task);
        results[id] = toRecord(task);
      }
      return { response: 'batch', results };
    });

    api.get('/v2/task_groups/:id', async (request) => {
      broker.visibleGroup(request.userId, uuidParam(idOf(request), 'task group id'));
      return { authorized: true };
    });

    api.get('/v2/task_groups/:id/tasks', async (request) => {
      const group = broker.visibleGroup(request.userId, uuidParam(idOf(request), 'task group id'));
      return { task_group_id: group.id, task_ids: [...group.taskIds] };
    });

    api.post('/v2/endpoints', async (request) => {
      const body = parseBody(registerEndpointBody, request.body);
      const { endpointId, secret } = context.registerEndpoint(request.userId, body.endpoint_name);
      return { endpoint_id: endpointId, secret };
    });

    api.get('/v2/endpoints/:id/status', async (request) => {
      const id = uuidParam(idOf(request), 'endpoint id');
      const endpoint = stores.endpoints.get(id);
      if (endpoint === undefined) throw new ApiError(ErrorCode.ENDPOINT_NOT_FOUND, `Endpoint ${id} not found`, [id]);
      if (endpoint.ownerId !== request.userId) throw new ApiError(ErrorCode.ENDPOINT_ACCESS_FORBIDDEN, `Endpoint ${id} belongs to another user`, [id]);
      return { status: endpoints.isOnline(id) ? 'online' : 'offline', logs: [] };
    });
  }

  return app;
}
