import { Accounts } from '../service/auth/Accounts.js';
import { RedisBackend } from '../service/backends/redis/RedisBackend.js';
import { resolveServiceOptions } from '../service/FuncXServiceOptions.js';
import { createLogger } from '../service/log.js';
import { TaskBroker } from '../service/TaskBroker.js';

/**
 * The accounts of the service whose state is in a Redis, without starting a service: for the CLI
 * commands that issue credentials against the store.
 *
 * @param redisUrl - the Redis the replicas share
 * @returns the accounts and a `close()` for the connection
 * @example
 * ```ts
 * const { accounts, close } = await openAccounts('redis://127.0.0.1:6379');
 * ```
 */
export async function openAccounts(redisUrl: string): Promise<{ accounts: Accounts; close(): Promise<void> }> {
  const backend = await RedisBackend.connect(redisUrl);
  const accounts = new Accounts(backend, new TaskBroker(backend, resolveServiceOptions({}), createLogger()));
  return { accounts, close: () => backend.close() };
}
