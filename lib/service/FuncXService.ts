import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { v4 as uuidv4 } from 'uuid';
import { WebSocketServer } from 'ws';
import { ErrorCode } from '../protocol/errorCodes.js';
import { ApiError } from './ApiError.js';
import { secretHash, secretMatches } from './auth/secretHash.js';
import { TokenRegistry } from './auth/TokenRegistry.js';
import { resolveServiceOptions, type FuncXServiceOptions, type ResolvedServiceOptions } from './FuncXServiceOptions.js';
import { createHttpApp } from './http/createHttpApp.js';
import { writeRawAnswer } from './http/writeRawAnswer.js';
import { ServiceStats, type ServiceStatsSnapshot } from './ServiceStats.js';
import { MemoryStores } from './store/MemoryStores.js';
import type { Stores } from './store/Stores.js';
import { TaskBroker, type SweepReport } from './TaskBroker.js';
import { EndpointHub } from './ws/EndpointHub.js';
import { parseUpgradePath } from './ws/parseUpgradePath.js';
import { ResultHub } from './ws/ResultHub.js';

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
  readonly #options: ResolvedServiceOptions;
  readonly #stats = new ServiceStats();
  readonly #tokens = new TokenRegistry();
  readonly #broker: TaskBroker;
  readonly #results: ResultHub;
  readonly #endpoints: EndpointHub;
  /** Result sockets carry only tiny subscribe frames from clients; endpoints send whole results. */
  readonly #resultServer: WebSocketServer;
  readonly #endpointServer: WebSocketServer;
  readonly #sweepTimer: NodeJS.Timeout;
  #url = '';

  private constructor(options: FuncXServiceOptions) {
    const resolved = (this.#options = resolveServiceOptions(options));
    this.#stores = resolved.stores ?? new MemoryStores();
    this.#results = new ResultHub(this.#stores.groups, this.#stores.tasks, this.#stats, resolved);
    this.#endpoints = new EndpointHub(this.#stores, this.#stats, resolved.pingIntervalMs);
    const broker = (this.#broker = new TaskBroker(
      this.#stores,
      this.#stats,
      {
        taskWaiting: (task) => this.#endpoints.enqueue(task),
        taskWithdrawn: (task) => this.#endpoints.cancel(task),
        taskStatus: (task) => this.#results.pushStatus(task),
        taskFinished: (task, group) => this.#results.deliver(task, group),
      },
      resolved,
    ));
    this.#endpoints.bind(broker);
    this.#resultServer = this.#socketServer(resolved.maxResultSocketFrameBytes);
    this.#endpointServer = this.#socketServer(resolved.maxEndpointFrameBytes);
    this.#app = createHttpApp({
      stores: this.#stores,
      broker,
      endpoints: this.#endpoints,
      stats: this.#stats,
      holderOf: (token) => this.#tokens.holderOf(token),
      registerEndpoint: (userId, name) => this.registerEndpoint(userId, { name }),
      options: resolved,
    });
    this.#app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(request, socket, head));
    // The sweep never keeps the process alive; close() clears it.
    this.#sweepTimer = setInterval(() => this.sweep(), resolved.sweepIntervalMs);
    this.#sweepTimer.unref();
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
    await service.#app.listen({ host: service.#options.host, port: service.#options.port });
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
   * Makes a new user and a random bearer token for it. The service keeps only the token's hash.
   *
   * @param options - `operator`: the token may read service-wide statistics
   * @returns the user's id and token
   * @example
   * ```ts
   * const { token } = service.issueToken();
   * const admin = service.issueToken({ operator: true });
   * ```
   */
  issueToken(options: { operator?: boolean } = {}): { userId: string; token: string } {
    return this.#tokens.issue(options);
  }

  /**
   * Revokes a token: later requests and handshakes with it get 401.
   *
   * @param token - the bearer token
   * @returns true when it was known
   * @example
   * ```ts
   * service.revokeToken(token);
   * ```
   */
  revokeToken(token: string): boolean {
    return this.#tokens.revoke(token);
  }

  /**
   * Registers an endpoint owned by a user, with a fresh secret for it to connect with.
   *
   * @param userId - the owner
   * @param options - `name`: shown nowhere yet, kept for status
   * @returns the endpoint id and secret (the service keeps only the secret's hash)
   * @throws {@link ApiError} 104 when the user already has `maxEndpointsPerUser`
   * @example
   * ```ts
   * const { endpointId, secret } = service.registerEndpoint(userId, { name: 'gpu-box' });
   * ```
   */
  registerEndpoint(userId: string, options: { name?: string } = {}): { endpointId: string; secret: string } {
    const endpointId = uuidv4();
    const secret = randomBytes(24).toString('base64url');
    this.#broker.registerEndpoint(userId, { id: endpointId, name: options.name ?? 'endpoint', secretHash: secretHash(secret) });
    return { endpointId, secret };
  }

  /**
   * The live counters, as `GET /v2/stats` answers them: the service's totals (what an operator
   * sees), or one user's.
   *
   * @param userId - a user, for that user's counters only
   * @returns a snapshot
   * @example
   * ```ts
   * service.stats().result_websockets_open;
   * service.stats(userId).tasks_outstanding;
   * ```
   */
  stats(userId?: string): ServiceStatsSnapshot {
    return userId === undefined ? this.#stats.snapshot() : this.#stats.userSnapshot(userId);
  }

  /** How many task groups some result socket follows (bounded: entries go with their sockets). */
  get subscribedGroups(): number {
    return this.#results.subscribedGroups;
  }

  /**
   * Runs the expiry sweep now (it also runs every `sweepIntervalMs`): ended tasks past retention,
   * tasks that waited too long for their endpoint, idle empty groups and unused registrations.
   *
   * @param now - the time to expire against, epoch milliseconds
   * @returns what was removed
   * @example
   * ```ts
   * service.sweep(Date.now() + 15 * 24 * 3600 * 1000).tasksDeleted;
   * ```
   */
  sweep(now: number = Date.now()): SweepReport {
    return this.#broker.sweep(now, (endpointId) => this.#endpoints.isOnline(endpointId));
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
    clearInterval(this.#sweepTimer);
    this.#endpoints.close();
    this.#results.close();
    for (const server of [this.#resultServer, this.#endpointServer]) {
      for (const socket of server.clients) socket.terminate();
      server.close();
    }
    await this.#app.close();
  }

  #socketServer(maxPayload: number): WebSocketServer {
    // clientTracking lets close() terminate every socket; ws's own refusals become envelopes.
    const server = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });
    server.on('wsClientError', (error: Error, socket: Duplex) => {
      const refusal = error.message === 'Invalid HTTP method'
        ? new ApiError(ErrorCode.METHOD_NOT_ALLOWED, 'A WebSocket handshake must be a GET', ['GET'])
        : new ApiError(ErrorCode.REQUEST_MALFORMED, `Bad WebSocket handshake: ${error.message}`, []);
      writeRawAnswer(socket, refusal, /Version/.test(error.message) ? { 'Sec-WebSocket-Version': '13' } : {});
    });
    return server;
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Before anything can be written: a peer that resets must not crash the process.
    socket.on('error', () => socket.destroy());
    if (request.method !== 'GET') return writeRawAnswer(socket, new ApiError(ErrorCode.METHOD_NOT_ALLOWED, 'A WebSocket handshake must be a GET', ['GET']), { Allow: 'GET' });
    const target = parseUpgradePath(request.url);
    if (target instanceof ApiError) return writeRawAnswer(socket, target);
    const header = request.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (target.kind === 'results') {
      const token = bearer ?? target.accessToken;
      if (token === undefined) return writeRawAnswer(socket, new ApiError(ErrorCode.USER_UNAUTHENTICATED, 'An Authorization: Bearer <token> header is required'));
      const holder = this.#tokens.holderOf(token);
      if (holder === undefined) return writeRawAnswer(socket, new ApiError(ErrorCode.USER_UNAUTHENTICATED, 'The bearer token is not valid'));
      const refusal = this.#results.refusal(holder.userId);
      if (refusal !== null) return writeRawAnswer(socket, refusal);
      this.#resultServer.handleUpgrade(request, socket, head, (ws) => this.#results.attach(ws, holder.userId));
      return;
    }
    const { endpointId } = target;
    if (bearer === undefined) return writeRawAnswer(socket, new ApiError(ErrorCode.USER_UNAUTHENTICATED, 'An Authorization: Bearer <endpoint secret> header is required'));
    const endpoint = this.#stores.endpoints.get(endpointId);
    if (endpoint === undefined || !secretMatches(bearer, endpoint.secretHash)) {
      return writeRawAnswer(socket, new ApiError(ErrorCode.ENDPOINT_ACCESS_FORBIDDEN, 'Unknown endpoint or wrong endpoint secret', [endpointId]));
    }
    this.#endpointServer.handleUpgrade(request, socket, head, (ws) => this.#endpoints.attach(ws, endpointId, endpoint.ownerId));
  }
}
