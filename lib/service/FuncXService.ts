import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import { ErrorCode } from '../protocol/errorCodes.js';
import { ApiError } from './ApiError.js';
import { AmqpResults } from './amqp/AmqpResults.js';
import type { AmqpResultsOptions } from './amqp/AmqpResultsOptions.js';
import { Accounts } from './auth/Accounts.js';
import { MemoryBackend } from './backends/memory/MemoryBackend.js';
import type { Backend } from './core/Backend.js';
import { resolveServiceOptions, type FuncXServiceOptions, type ResolvedServiceOptions } from './FuncXServiceOptions.js';
import { createHttpApp } from './http/createHttpApp.js';
import { writeRawAnswer } from './http/writeRawAnswer.js';
import type { ServiceStatsSnapshot } from './ServiceStats.js';
import { parseBearer } from './auth/parseBearer.js';
import { logFailure } from './log.js';
import { EndpointConnections } from './tasks/EndpointConnections.js';
import { ResultDelivery } from './tasks/ResultDelivery.js';
import { DashboardFeed } from './dashboard/DashboardFeed.js';
import { TaskBroker, type SweepReport, type TaskObserver } from './TaskBroker.js';
import { bearerFromRequest, selectSubprotocol } from './ws/bearerFromRequest.js';
import { checkOrigin } from './ws/checkOrigin.js';
import { EndpointHub } from './ws/EndpointHub.js';
import { parseUpgradePath } from './ws/parseUpgradePath.js';
import { AnswerGate } from './ws/AnswerGate.js';
import { MetricsServer, type MetricsListenOptions } from './metrics/MetricsServer.js';
import { ServiceMetrics } from './metrics/ServiceMetrics.js';
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
 * const { userId, token } = await service.issueToken();
 * const { endpointId, secret } = await service.registerEndpoint(userId, { name: 'laptop' });
 * console.log(service.url); // http://127.0.0.1:PORT
 * await service.close();
 * ```
 */
export class FuncXService {
  readonly #app: FastifyInstance;
  readonly #backend: Backend;
  /** Whether close() closes the backend too (it made it, from `redis` or by default). */
  readonly #ownsBackend: boolean;
  readonly #options: ResolvedServiceOptions;
  readonly #broker: TaskBroker;
  readonly #accounts: Accounts;
  readonly #results: ResultHub;
  readonly #endpoints: EndpointHub;
  /** Result sockets carry only tiny subscribe frames from clients; endpoints send whole results. */
  readonly #resultServer: WebSocketServer;
  readonly #endpointServer: WebSocketServer;
  readonly #sweepTimer: NodeJS.Timeout;
  readonly #amqp: AmqpResults | null;
  /** Made only when metrics are served: its default process metrics observe the whole process. */
  readonly #metrics: ServiceMetrics | null;
  readonly #dashboard = new DashboardFeed();
  #metricsServer: MetricsServer | null = null;
  /** Set by close(): `/readyz` says so while connections drain. */
  #closing = false;
  #url = '';

  private constructor(options: ResolvedServiceOptions, backend: Backend, ownsBackend: boolean, amqp?: AmqpResultsOptions, metrics?: MetricsListenOptions) {
    this.#backend = backend;
    this.#ownsBackend = ownsBackend;
    this.#options = options;
    this.#metrics = metrics === undefined ? null : new ServiceMetrics({
      counters: backend.counters,
      resultSockets: () => this.#results.sockets.size,
      endpointConnections: () => this.#endpoints.holdings,
    });
    const metricsObserver = this.#metrics?.tasks ?? null;
    // Told of every end, as the metrics are: the dashboard counts those of users whose page is open.
    const observer: TaskObserver = {
      submitted: (tasks) => metricsObserver?.submitted(tasks),
      ended: (before, end) => {
        metricsObserver?.ended(before, end);
        this.#dashboard.ended(before, end);
      },
      endpointDeleted: (id) => metricsObserver?.endpointDeleted(id),
    };
    this.#broker = new TaskBroker(backend, options, options.logger, observer);
    this.#accounts = new Accounts(backend, this.#broker);
    const answerGate = new AnswerGate();
    this.#results = new ResultHub(new ResultDelivery(backend), this.#broker.partials, options, answerGate);
    this.#endpoints = new EndpointHub(new EndpointConnections(backend, this.#broker), this.#broker, { pingIntervalMs: options.pingIntervalMs, failoverMs: options.failoverMs, maxResultBytes: options.maxResultBytes, maxFrameBytes: options.maxEndpointFrameBytes, log: options.logger });
    this.#amqp = amqp === undefined ? null : new AmqpResults(amqp, backend.bus, options.retentionMs);
    this.#resultServer = this.#socketServer(options.maxResultSocketFrameBytes);
    this.#endpointServer = this.#socketServer(options.maxEndpointFrameBytes);
    this.#app = createHttpApp({
      broker: this.#broker,
      accounts: this.#accounts,
      options,
      endpointLanguages: (endpointId) => this.#endpoints.languages(endpointId),
      endpointEngine: (endpointId) => this.#endpoints.engine(endpointId),
      endpointHoldings: () => this.#endpoints.holdings,
      dashboardFeed: this.#dashboard,
      answerGate,
      ...(this.#amqp === null ? {} : { amqpResults: this.#amqp }),
      ...(backend.rateLimitRedis === undefined ? {} : { rateLimitRedis: backend.rateLimitRedis }),
      ...(this.#metrics === null ? {} : { metrics: this.#metrics }),
      readiness: async () => (this.#closing ? 'the service is closing' : ((await backend.readiness?.(1000)) ?? null)),
    });
    this.#app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => void this.#upgrade(request, socket, head));
    // The sweep never keeps the process alive; close() clears it. Every replica sweeps: removals are atomic.
    this.#sweepTimer = setInterval(() => void this.sweep().catch(logFailure(options.logger, 'the sweep failed; the next one tries again')), options.sweepIntervalMs);
    this.#sweepTimer.unref();
  }

  /**
   * Starts a service and waits until it listens: on its own in memory (the default), or as one
   * replica of many sharing a Redis (`redis: 'redis://host:6379'`).
   *
   * @param options - host, port, backend or Redis URL, retention, limits
   * @returns the listening service
   * @example
   * ```ts
   * const service = await FuncXService.start();
   * const replica = await FuncXService.start({ redis: 'redis://127.0.0.1:6379', port: 8081 });
   * ```
   */
  static async start(options: FuncXServiceOptions = {}): Promise<FuncXService> {
    const resolved = resolveServiceOptions(options);
    let backend = options.backend;
    if (backend === undefined && options.redis !== undefined) {
      const { RedisBackend } = await import('./backends/redis/RedisBackend.js');
      backend = await RedisBackend.connect(options.redis, { logger: resolved.logger });
    }
    const service = new FuncXService(resolved, backend ?? new MemoryBackend(), options.backend === undefined, options.amqp, options.metrics);
    try {
      await service.#app.listen({ host: resolved.host, port: resolved.port });
      if (service.#metrics !== null) service.#metricsServer = await MetricsServer.listen(service.#metrics.registry, options.metrics!, resolved.logger.child({ component: 'metrics' }));
    } catch (error) {
      await service.close();
      throw error;
    }
    const address = service.#app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    service.#url = `http://${host}:${address.port}`;
    return service;
  }

  /** The base URL: REST under `/v2`, results at `/ws/v2/`. */
  get url(): string {
    return this.#url;
  }

  /** Where Prometheus scrapes this replica (`http://127.0.0.1:9464/metrics`), or null without `metrics`. */
  get metricsUrl(): string | null {
    return this.#metricsServer?.url ?? null;
  }

  /**
   * Makes a new user and a random bearer token for it. The service keeps only the token's hash.
   *
   * @param options - `operator`: the token may read service-wide statistics
   * @returns the user's id and token
   * @example
   * ```ts
   * const { token } = await service.issueToken();
   * const admin = await service.issueToken({ operator: true });
   * ```
   */
  issueToken(options: { operator?: boolean } = {}): Promise<{ userId: string; token: string }> {
    return this.#accounts.issueToken(options);
  }

  /**
   * Revokes a token: later requests and handshakes with it get 401.
   *
   * @param token - the bearer token
   * @returns true when it was known
   * @example
   * ```ts
   * await service.revokeToken(token);
   * ```
   */
  revokeToken(token: string): Promise<boolean> {
    return this.#accounts.revoke(token);
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
   * const { endpointId, secret } = await service.registerEndpoint(userId, { name: 'gpu-box' });
   * ```
   */
  registerEndpoint(userId: string, options: { name?: string } = {}): Promise<{ endpointId: string; secret: string }> {
    return this.#accounts.createEndpoint(userId, options.name ?? 'endpoint');
  }

  /**
   * The live counters, as `GET /v2/stats` answers them: the service's totals (what an operator
   * sees), or one user's.
   *
   * @param userId - a user, for that user's counters only
   * @returns a snapshot
   * @example
   * ```ts
   * (await service.stats()).result_websockets_open;
   * (await service.stats(userId)).tasks_outstanding;
   * ```
   */
  stats(userId?: string): Promise<ServiceStatsSnapshot> {
    return userId === undefined ? this.#backend.counters.snapshot() : this.#backend.counters.userSnapshot(userId);
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
   * (await service.sweep(Date.now() + 15 * 24 * 3600 * 1000)).tasksDeleted;
   * ```
   */
  sweep(now: number = Date.now()): Promise<SweepReport> {
    return this.#broker.sweep(now);
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
    this.#closing = true;
    clearInterval(this.#sweepTimer);
    this.#endpoints.close();
    this.#results.close();
    for (const server of [this.#resultServer, this.#endpointServer]) {
      for (const socket of server.clients) socket.terminate();
      server.close();
    }
    await this.#app.close();
    await this.#metricsServer?.close();
    this.#metrics?.close();
    // Terminated sockets give their unfinished tasks back before the backend goes.
    await this.#endpoints.settled();
    await this.#amqp?.close();
    if (this.#ownsBackend) await this.#backend.close();
  }

  #socketServer(maxPayload: number): WebSocketServer {
    // clientTracking lets close() terminate every socket; ws's own refusals become envelopes.
    // handleProtocols: browsers offer the token as a subprotocol; only `funcx.v2` is ever echoed.
    const server = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false, handleProtocols: selectSubprotocol });
    server.on('wsClientError', (error: Error, socket: Duplex) => {
      const refusal = error.message === 'Invalid HTTP method'
        ? new ApiError(ErrorCode.METHOD_NOT_ALLOWED, 'A WebSocket handshake must be a GET', ['GET'])
        : new ApiError(ErrorCode.REQUEST_MALFORMED, `Bad WebSocket handshake: ${error.message}`, []);
      writeRawAnswer(socket, refusal, /Version/.test(error.message) ? { 'Sec-WebSocket-Version': '13' } : {});
    });
    return server;
  }

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // Before anything can be written: a peer that resets must not crash the process.
    socket.on('error', () => socket.destroy());
    try {
      if (request.method !== 'GET') return writeRawAnswer(socket, new ApiError(ErrorCode.METHOD_NOT_ALLOWED, 'A WebSocket handshake must be a GET', ['GET']), { Allow: 'GET' });
      const target = parseUpgradePath(request.url);
      if (target instanceof ApiError) return writeRawAnswer(socket, target);
      const header = request.headers.authorization;
      const bearer = parseBearer(header);
      if (target.kind === 'results') {
        if (!checkOrigin(request.headers.origin, this.#options.cors)) {
          return writeRawAnswer(socket, new ApiError(ErrorCode.ORIGIN_FORBIDDEN, `Origin ${request.headers.origin} may not open a result socket (see serve --cors)`, [request.headers.origin]));
        }
        const token = bearerFromRequest(request, target.accessToken)?.token;
        if (token === undefined) return writeRawAnswer(socket, new ApiError(ErrorCode.USER_UNAUTHENTICATED, 'An Authorization: Bearer <token> header is required'));
        const holder = await this.#accounts.holderOf(token);
        if (holder === undefined) return writeRawAnswer(socket, new ApiError(ErrorCode.USER_UNAUTHENTICATED, 'The bearer token is not valid'));
        const refusal = await this.#results.refusal(holder.userId);
        if (refusal !== null) return writeRawAnswer(socket, refusal);
        this.#resultServer.handleUpgrade(request, socket, head, (ws) => this.#results.attach(ws, holder.userId, target.early));
        return;
      }
      const { endpointId } = target;
      if (bearer === undefined) return writeRawAnswer(socket, new ApiError(ErrorCode.USER_UNAUTHENTICATED, 'An Authorization: Bearer <endpoint secret> header is required'));
      const ownerId = await this.#accounts.endpointOwner(endpointId, bearer);
      if (ownerId === undefined) return writeRawAnswer(socket, new ApiError(ErrorCode.ENDPOINT_ACCESS_FORBIDDEN, 'Unknown endpoint or wrong endpoint secret', [endpointId]));
      this.#endpointServer.handleUpgrade(request, socket, head, (ws) => this.#endpoints.attach(ws, endpointId, ownerId));
    } catch (error) {
      // The backend failed (Redis unreachable): the client gets an envelope and may retry.
      writeRawAnswer(socket, new ApiError(ErrorCode.INTERNAL_ERROR, `The service could not check the handshake: ${error instanceof Error ? error.message : String(error)}`));
    }
  }
}
