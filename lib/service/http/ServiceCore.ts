import type { DashboardFeed } from '../dashboard/DashboardFeed.js';
import type { EndpointEngineReport, EndpointLanguages } from '../../protocol/endpointChannel.js';
import type { AmqpResults } from '../amqp/AmqpResults.js';
import type { Accounts } from '../auth/Accounts.js';
import type { AnswerGate } from '../ws/AnswerGate.js';
import type { ResolvedServiceOptions } from '../FuncXServiceOptions.js';
import type { ServiceMetrics } from '../metrics/ServiceMetrics.js';
import type { TaskBroker } from '../TaskBroker.js';

/** What the HTTP plugins see: the broker, the accounts, and the limits. Never a store or a socket. */
export interface ServiceCore {
  readonly broker: TaskBroker;
  readonly accounts: Accounts;
  readonly options: ResolvedServiceOptions;
  /** Where rate limits are counted when replicas share them (a Redis client), else in this process. */
  readonly rateLimitRedis?: unknown;
  /** Which languages an endpoint connected to this replica said it runs (null if none is, or it never said). */
  readonly endpointLanguages?: (endpointId: string) => EndpointLanguages | null;
  /** What an endpoint connected to this replica last said of its engine (null if none is, or it never said). */
  readonly endpointEngine?: (endpointId: string) => EndpointEngineReport | null;
  /** Holds a group's results from the result sockets while a submit to it is being answered. */
  readonly answerGate?: AnswerGate;
  /** Where Globus Compute's `Executor` takes results from (RabbitMQ), when the service has it. */
  readonly amqpResults?: AmqpResults;
  /** What this replica's endpoint connections hold (tasks sent and not ended, workers), for `GET /v2/endpoints`. */
  /** The ended tasks of users whose dashboard is open. */
  readonly dashboardFeed?: DashboardFeed;
  readonly endpointHoldings?: () => readonly { endpointId: string; inflight: number; workers: { total: number; free: number } | null }[];
  /** For `/readyz`: null when the service accepts work, else why not (its store away, closing). */
  readonly readiness?: () => Promise<string | null>;
  /** Counts each answered request, when the service has metrics. */
  readonly metrics?: ServiceMetrics;
}

/** Routes that answer without a token. */
export const OPEN_ROUTES: ReadonlySet<string> = new Set(['/v2/version', '/v2/health', '/healthz', '/readyz', '/dashboard', '/dashboard/app.js', '/dashboard/uPlot.css']);

declare module 'fastify' {
  interface FastifyRequest {
    userId: string;
    operator: boolean;
  }
}
