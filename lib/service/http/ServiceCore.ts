import type { Accounts } from '../auth/Accounts.js';
import type { ResolvedServiceOptions } from '../FuncXServiceOptions.js';
import type { TaskBroker } from '../TaskBroker.js';

/** What the HTTP plugins see: the broker, the accounts, and the limits. Never a store or a socket. */
export interface ServiceCore {
  readonly broker: TaskBroker;
  readonly accounts: Accounts;
  readonly options: ResolvedServiceOptions;
  /** Where rate limits are counted when replicas share them (a Redis client), else in this process. */
  readonly rateLimitRedis?: unknown;
}

/** Routes that answer without a token. */
export const OPEN_ROUTES: ReadonlySet<string> = new Set(['/v2/version', '/v2/health']);

declare module 'fastify' {
  interface FastifyRequest {
    userId: string;
    operator: boolean;
  }
}
