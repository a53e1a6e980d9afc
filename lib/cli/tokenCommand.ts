import { openAccounts } from './openAccounts.js';

/** The options `funcx-rx token create` takes. */
export interface TokenCommandOptions {
  readonly redis: string;
  readonly operator?: boolean;
  readonly json?: boolean;
}

/**
 * `funcx-rx token create`: makes a user and a bearer token in the shared store, so the token
 * works on every replica and across restarts. The token is printed once; the store keeps its hash.
 *
 * @param options - the parsed command-line options
 * @returns when done
 * @example
 * ```sh
 * funcx-rx token create --redis redis://127.0.0.1:6379 --json
 * ```
 */
export async function tokenCommand(options: TokenCommandOptions): Promise<void> {
  const { accounts, close } = await openAccounts(options.redis);
  try {
    const { userId, token } = await accounts.issueToken({ operator: options.operator === true });
    process.stdout.write(options.json ? `${JSON.stringify({ user_id: userId, token })}\n` : `export FUNCX_TOKEN=${token}\n(user ${userId})\n`);
  } finally {
    await close();
  }
}
