import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { v4 as uuidv4, validate as isUuid } from 'uuid';
import { ErrorCode } from '../../protocol/errorCodes.js';
import type { TaskRecord, UnknownTaskFrame } from '../../protocol/task.js';
import { ApiError } from '../ApiError.js';
import type { ServiceStats } from '../ServiceStats.js';
import { toRecord, type TaskBroker } from '../TaskBroker.js';
import type { Stores } from '../store/Stores.js';
import type { EndpointHub } from '../ws/EndpointHub.js';
import { parseBody, registerEndpointBody, registerFunctionBody, submitBody, taskIdsBody } from './schemas.js';

/** The service's version, reported by `GET /v2/version`. */
export const API_VERSION = '0.1.0';

/** What the routes work with. */
export interface HttpAppContext {
  readonly stores: Stores;
  readonly broker: TaskBroker;
  readonly endpoints: EndpointHub;
  readonly stats: ServiceStats;
  /** The user a bearer token belongs to, if any. */
  readonly userOf: (token: string) => string | undefined;
  /** Registers an endpoint for a user. */
  readonly registerEndpoint: (userId: string, name: string) => { endpointId: string; secret: string };
  readonly bodyLimit: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    userId: string;
  }
}

const OPEN_ROUTES = new Set(['/v2/version', '/v2/health']);

function uuidParam(value: string, what: string): string {
  if (!isUuid(value)) throw new ApiError(ErrorCode.INVALID_UUID, `Invalid ${what}: ${value}`, [value]);
  return value.toLowerCase();
}

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

/**
 * The funcX v2 REST API on fastify: auth, routes, and every error as funcX's envelope.
 *
 * @param context - stores, task logic, endpoint hub, counters, auth
 * @returns the fastify instance, not yet listening
 * @example
 * ```ts
 * const app = createHttpApp(context);
 * await app.listen({ port: 0, host: '127.0.0.1' });
 * ```
 */
export function createHttpApp(context: HttpAppContext): FastifyInstance {
  const { stores, broker, endpoints, stats } = context;
  // Keep-alive connections are closed on close(), so a stopped service lets the process exit.
  const app = Fastify({ logger: false, bodyLimit: context.bodyLimit, forceCloseConnections: true });
  app.decorateRequest('userId', '');

  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0]!;
    if (OPEN_ROUTES.has(path)) return;
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const userId = token === undefined ? undefined : context.userOf(token);
    if (userId === undefined) {
      throw new ApiError(ErrorCode.USER_UNAUTHENTICATED, header ? 'The bearer token is not valid' : 'An Authorization: Bearer <token> header is required');
    }
    request.userId = userId;
  });

  app.setErrorHandler((error, _request, reply) => {
    let apiError: ApiError;
    if (error instanceof ApiError) apiError = error;
    else if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      apiError = new ApiError(ErrorCode.PAYLOAD_TOO_LARGE, `The request body is larger than ${context.bodyLimit} bytes`, [context.bodyLimit]);
    } else if (typeof (error as { statusCode?: number }).statusCode === 'number' && (error as { statusCode: number }).statusCode < 500) {
      apiError = new ApiError(ErrorCode.REQUEST_MALFORMED, `Malformed request: ${error instanceof Error ? error.message : String(error)}`);
    } else {
      apiError = new ApiError(ErrorCode.INTERNAL_ERROR, `Internal error: ${error instanceof Error ? error.message : String(error)}`);
    }
    return reply.code(apiError.httpStatus).send(apiError.toEnvelope());
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError(ErrorCode.ROUTE_NOT_FOUND, `No route ${request.method} ${request.url.split('?')[0]}`, [request.method, request.url]);
    return reply.code(error.httpStatus).send(error.toEnvelope());
  });

  app.get('/v2/health', async () => ({ status: 'ok' }));
  app.get('/v2/version', async () => ({ api: API_VERSION, min_sdk_version: API_VERSION, min_ep_version: API_VERSION }));
  // funcX answers the JSON string "OK"; fastify would send a bare string as text/plain.
  app.get('/v2/authenticate', async (_request, reply) => reply.type('application/json').send('"OK"'));
  app.get('/v2/stats', async () => stats.snapshot());

  app.post('/v2/functions', async (request) => {
    const body = parseBody(registerFunctionBody, request.body);
    const id = uuidv4();
    stores.functions.put({
      id,
      ownerId: request.userId,
      name: body.function_name,
      entryPoint: body.entry_point ?? body.function_name,
      code: body.function_code,
      source: body.function_source ?? '',
      description: body.description ?? '',
    });
    return { function_uuid: id };
  });

  app.post('/v2/submit', async (request, reply) => {
    const body = parseBody(submitBody, request.body);
    const { groupId, results } = broker.submit(request.userId, body.task_group_id?.toLowerCase(), body.tasks);
    const allOk = results.every((r) => r.status === 'Success');
    return reply.code(allOk ? 200 : 207).send({ response: 'batch', task_group_id: groupId, results });
  });

  app.get('/v2/tasks/:id', async (request) => broker.record(request.userId, uuidParam(idOf(request), 'task id')));

  app.post('/v2/tasks/:id/cancel', async (request) => {
    const task = broker.visibleTask(request.userId, uuidParam(idOf(request), 'task id'));
    broker.cancel(task);
    return toRecord(task);
  });

  app.post('/v2/batch_status', async (request) => {
    const { task_ids } = parseBody(taskIdsBody, request.body);
    const results: Record<string, TaskRecord | UnknownTaskFrame> = {};
    for (const id of task_ids) {
      const task = stores.tasks.get(id.toLowerCase());
      // Every id asked about is answered, as funcX did: a client sweeping its tasks learns that one is gone.
      results[id] = task !== undefined && task.ownerId === request.userId ? toRecord(task) : { task_id: id, status: 'Failed', reason: 'Unknown task id' };
    }
    return { response: 'batch', results };
  });

  app.post('/v2/cancel', async (request) => {
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

  app.get('/v2/task_groups/:id', async (request) => {
    broker.visibleGroup(request.userId, uuidParam(idOf(request), 'task group id'));
    return { authorized: true };
  });

  app.get('/v2/task_groups/:id/tasks', async (request) => {
    const group = broker.visibleGroup(request.userId, uuidParam(idOf(request), 'task group id'));
    return { task_group_id: group.id, task_ids: [...group.taskIds] };
  });

  app.post('/v2/endpoints', async (request) => {
    const body = parseBody(registerEndpointBody, request.body);
    const { endpointId, secret } = context.registerEndpoint(request.userId, body.endpoint_name);
    return { endpoint_id: endpointId, secret };
  });

  app.get('/v2/endpoints/:id/status', async (request) => {
    const id = uuidParam(idOf(request), 'endpoint id');
    const endpoint = stores.endpoints.get(id);
    if (endpoint === undefined) throw new ApiError(ErrorCode.ENDPOINT_NOT_FOUND, `Endpoint ${id} not found`, [id]);
    if (endpoint.ownerId !== request.userId) throw new ApiError(ErrorCode.ENDPOINT_ACCESS_FORBIDDEN, `Endpoint ${id} belongs to another user`, [id]);
    return { status: endpoints.isOnline(id) ? 'online' : 'offline', logs: [] };
  });

  return app;
}
