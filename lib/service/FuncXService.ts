import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { v4 as uuidv4, validate as isUuid } from 'uuid';
import { WebSocketServer } from 'ws';
import { ErrorCode } from '../protocol/errorCodes.js';
import { ApiError } from './ApiError.js';
import type { FuncXServiceOptions } from './FuncXServiceOptions.js';
import { createHttpApp } from './http/createHttpApp.js';
import { ServiceStats, type ServiceStatsSnapshot } from './ServiceStats.js';
import { MemoryStores } from './store/MemoryStores.js';
import type { Stores } from './store/Stores.js';
import { TaskBroker } from './TaskBroker.js';
import { EndpointHub } from './ws/EndpointHub.js';
import { bearerFromRequest, selectSubprotocol } from './ws/bearerFromRequest.js';
import { checkOrigin } from './ws/checkOrigin.js';
import { parseCorsOrigins } from './http/corsPlugin.js';
import { rejectUpgrade } from './ws/rejectUpgrade.js';
import { ResultHub } from './ws/ResultHub.js';

const TWO_WEEKS_MS = 14 * 24 * 60 * 60 * 1000;
const ENDPOINT_FRAME_LIMIT = 64 * 1024 * 1024;

/**
 * The funcX-compatible service: funcX's v2 REST API and result WebSocket on one port, plus the
 * endpoint channel (docs/protocol-extensions.md). Users are bearer tokens; endpoints have their
 * own secrets.
 *
 * @example
 * ```ts
 * import { FuncXService } from 'funcx-rx/service';
 * const service = await FuncXService.start({ port: 0 });
 * const { userId, token } = service.issueToken();
 * const { endpointId, secret } = service.registerEndpoint(userId, { name: 'laptop' });
 * console.log(service.url); // http://127.0.0.1:PORT
 * await service.close();
 * ```
 */
export class FuncXService {
  readonly #app: FastifyInstance;
  readonly #stores: Stores;
  readonly #stats = new ServiceStats();
  readonly #tokens = new Map<string, string>();
  readonly #results: ResultHub;
  readonly #endpoints: EndpointHub;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: ENDPOINT_FRAME_LIMIT, handleProtocols: selectSubprotocol });
  readonly #corsOrigins: readonly string[];
  readonly #retentionTimer: NodeJS.Timeout;
  #url = '';

  private constructor(options: FuncXServiceOptions) {
    this.#corsOrigins = parseCorsOrigins(options.cors ?? []);
    this.#stores = options.stores ?? new MemoryStores();
    this.#results = new ResultHub(this.#stores.groups, this.#stores.tasks, this.#stats);
    this.#endpoints = new EndpointHub(this.#stores, this.#stats, options.pingIntervalMs ?? 10_000);
    const broker = new TaskBroker(this.#stores, this.#stats, {
      taskWaiting: (task) => this.#endpoints.enqueue(task),
      taskCancelled: (task) => this.#endpoints.cancel(task),
      taskStatus: (task) => this.#results.pushStatus(task),
      taskFinished: (task, group) => this.#results.deliver(task, group),
    });
    this.#endpoints.bind(broker);
    this.#app = createHttpApp({
      stores: this.#stores,
      broker,
      endpoints: this.#endpoints,
      stats: this.#stats,
      userOf: (token) => this.#tokens.get(token),
      registerEndpoint: (userId, name) => this.registerEndpoint(userId, { name }),
      bodyLimit: options.maxBodyBytes ?? 5 * 1024 * 1024,
      corsOrigins: this.#corsOrigins,
    });
    this.#app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(request, socket, head));
    const retentionMs = options.retentionMs ?? TWO_WEEKS_MS;
    // The sweep never keeps the process alive; close() clears it.
    this.#retentionTimer = setInterval(() => broker.expire(Date.now(), retentionMs), Math.max(10, Math.min(retentionMs, 60_000)));
    this.#retentionTimer.unref();
  }

  /**
   * Starts a service and waits until it listens.
   *
   * @param options - host, port, retention, limits, stores
   * @returns the listening service
   * @example
   * ```ts
   * const service = await FuncXService.start();
   * ```
   */
  static async start(options: FuncXServiceOptions = {}): Promise<FuncXService> {
    const service = new FuncXService(options);
    await service.#app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    const address = service.#app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    service.#url = `http://${host}:${address.port}`;
    return service;
  }

  /** The base URL: REST under `/v2`, results at `/ws/v2/`. */
  get url(): string {
    return this.#url;
  }

  /**
   * Makes a new user and a random bearer token for it.
   *
   * @returns the user's id and token
   * @example
   * ```ts
   * const { token } = service.issueToken();
   * ```
   */
  issueToken(): { userId: string; token: string } {
    const userId = uuidv4();
    const token = randomBytes(24).toString('base64url');
    this.#tokens.set(token, userId);
    return { userId, token };
  }

  /**
   * Registers an endpoint owned by a user, with a fresh secret for it to connect with.
   *
   * @param userId - the owner
   * @param options - `name`: shown nowhere yet, kept for status
   * @returns the endpoint id and secret
   * @example
   * ```ts
   * const { endpointId, secret } = service.registerEndpoint(userId, { name: 'gpu-box' });
   * ```
   */
  registerEndpoint(userId: string, options: { name?: string } = {}): { endpointId: string; secret: string } {
    const endpointId = uuidv4();
    const secret = randomBytes(24).toString('base64url');
    this.#stores.endpoints.put({ id: endpointId, ownerId: userId, name: options.name ?? 'endpoint', secret });
    return { endpointId, secret };
  }

  /**
   * The live counters, as `GET /v2/stats` answers them.
   *
   * @returns a snapshot
   * @example
   * ```ts
   * service.stats().result_websockets_open;
   * ```
   */
  stats(): ServiceStatsSnapshot {
    return this.#stats.snapshot();
  }

  /**
   * Fault injection: closes every result socket, abruptly by default (the client sees 1006).
   *
   * @param code - a close code (such as 1000 or 1001), or undefined to drop
   * @returns how many sockets were closed
   * @example
   * ```ts
   * service.dropResultSockets();
   * ```
   */
  dropResultSockets(code?: number): number {
    return this.#results.drop(code);
  }

  /**
   * Fault injection: drops every endpoint connection; their unfinished tasks are requeued.
   *
   * @returns how many connections were dropped
   * @example
   * ```ts
   * service.dropEndpointSockets();
   * ```
   */
  dropEndpointSockets(): number {
    return this.#endpoints.drop();
  }

  /**
   * Stops listening, closes every socket and timer.
   *
   * @returns when closed
   * @example
   * ```ts
   * await service.close();
   * ```
   */
  async close(): Promise<void> {
    clearInterval(this.#retentionTimer);
    this.#endpoints.close();
    for (const socket of this.#wss.clients) socket.terminate();
    this.#wss.close();
    await this.#app.close();
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://service');
    const path = url.pathname.replace(/\/+$/, '');
    const header = request.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (path === '/ws/v2') {
      if (!checkOrigin(request.headers.origin, this.#corsOrigins)) {
        return rejectUpgrade(socket, 403, new ApiError(ErrorCode.USER_UNAUTHENTICATED, `Origin ${request.headers.origin} is not allowed to open a result socket (serve --cors)`, [request.headers.origin]));
      }
      const token = bearerFromRequest(request, url)?.token;
      if (token === undefined) return rejectUpgrade(socket, 401, new ApiError(ErrorCode.USER_UNAUTHENTICATED, 'An Authorization: Bearer <token> header is required'));
      const userId = this.#tokens.get(token);
      if (userId === undefined) return rejectUpgrade(socket, 400, new ApiError(ErrorCode.USER_UNAUTHENTICATED, 'The bearer token is not valid'));
      this.#wss.handleUpgrade(request, socket, head, (ws) => this.#results.attach(ws, userId));
      return;
    }
    const match = /^\/ws\/v2\/endpoints\/([^/]+)$/.exec(path);
    if (match) {
      const endpointId = decodeURIComponent(match[1]!).toLowerCase();
      if (bearer === undefined) return rejectUpgrade(socket, 401, new ApiError(ErrorCode.USER_UNAUTHENTICATED, 'An Authorization: Bearer <endpoint secret> header is required'));
      const endpoint = isUuid(endpointId) ? this.#stores.endpoints.get(endpointId) : undefined;
      if (endpoint === undefined || endpoint.secret !== bearer) {
        return rejectUpgrade(socket, 403, new ApiError(ErrorCode.ENDPOINT_ACCESS_FORBIDDEN, 'Unknown endpoint or wrong endpoint secret', [endpointId]));
      }
      this.#wss.handleUpgrade(request, socket, head, (ws) => this.#endpoints.attach(ws, endpointId));
      return;
    }
    rejectUpgrade(socket, 404, new ApiError(ErrorCode.ROUTE_NOT_FOUND, `No WebSocket route ${url.pathname}`, [url.pathname]));
  }
}
