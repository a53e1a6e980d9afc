import { openAccounts } from './openAccounts.js';

/** The options `funcx-rx endpoint-register` takes. */
export interface RegisterEndpointOptions {
  readonly redis: string;
  readonly name: string;
  readonly json?: boolean;
}

/**
 * `funcx-rx endpoint-register`: registers an endpoint in the shared store, owned by the user of
 * `$FUNCX_TOKEN`, and prints its id and secret (once; the store keeps the secret's hash).
 *
 * @param options - the parsed command-line options
 * @returns when done
 * @example
 * ```sh
 * FUNCX_TOKEN=... funcx-rx endpoint-register --redis redis://127.0.0.1:6379 --name gpu-box
 * ```
 */
export async function registerEndpointCommand(options: RegisterEndpointOptions): Promise<void> {
  const token = process.env.FUNCX_TOKEN;
  if (!token) throw new Error('give the owner\'s token in $FUNCX_TOKEN (see `funcx-rx token create`)');
  const { accounts, close } = await openAccounts(options.redis);
  try {
    const holder = await accounts.holderOf(token);
    if (holder === undefined) throw new Error('$FUNCX_TOKEN is not a token of this store');
    const { endpointId, secret } = await accounts.createEndpoint(holder.userId, options.name);
    process.stdout.write(options.json ? `${JSON.stringify({ endpoint_id: endpointId, secret })}\n` : `FUNCX_ENDPOINT_ID=${endpointId}\nFUNCX_ENDPOINT_SECRET=${secret}\n`);
  } finally {
    await close();
  }
}
