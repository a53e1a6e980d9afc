import { HttpApi } from '../client/HttpApi.js';
import { openAccounts } from './openAccounts.js';

/** The options `funcx-rx endpoint-register` takes. */
export interface RegisterEndpointOptions {
  /** Register in this shared store directly (replicas on Redis). */
  readonly redis?: string;
  /** Register through this service's `POST /v2/endpoints` (default `$FUNCX_SERVICE_URL`). */
  readonly service?: string;
  readonly name: string;
  readonly json?: boolean;
}

/**
 * `funcx-rx endpoint-register`: registers an endpoint owned by the user of `$FUNCX_TOKEN` and
 * prints its id and secret (once; the service keeps the secret's hash). Through a running
 * service (`--service URL`, or `$FUNCX_SERVICE_URL`), which works for a plain `serve` too, or
 * straight into the replicas' Redis (`--redis URL`).
 *
 * @param options - the parsed command-line options
 * @returns when done
 * @example
 * ```sh
 * FUNCX_TOKEN=... funcx-rx endpoint-register --service http://127.0.0.1:8080 --name gpu-box
 * FUNCX_TOKEN=... funcx-rx endpoint-register --redis redis://127.0.0.1:6379 --name gpu-box
 * ```
 */
export async function registerEndpointCommand(options: RegisterEndpointOptions): Promise<void> {
  const token = process.env.FUNCX_TOKEN;
  if (!token) throw new Error('give the owner\'s token in $FUNCX_TOKEN (the one `serve` printed, or see `funcx-rx token create`)');
  const service = options.service ?? (options.redis === undefined ? process.env.FUNCX_SERVICE_URL : undefined);
  let registered: { endpointId: string; secret: string };
  if (service !== undefined) {
    const api = new HttpApi(`${service.replace(/\/+$/, '')}/v2`, token);
    const { body } = await api.request<{ endpoint_id: string; secret: string }>('POST', '/endpoints', { endpoint_name: options.name });
    registered = { endpointId: body.endpoint_id, secret: body.secret };
  } else if (options.redis !== undefined) {
    const { accounts, close } = await openAccounts(options.redis);
    try {
      const holder = await accounts.holderOf(token);
      if (holder === undefined) throw new Error('$FUNCX_TOKEN is not a token of this store');
      registered = await accounts.createEndpoint(holder.userId, options.name);
    } finally {
      await close();
    }
  } else {
    throw new Error('give the service (--service URL or $FUNCX_SERVICE_URL) or the replicas\' store (--redis URL)');
  }
  process.stdout.write(options.json ? `${JSON.stringify({ endpoint_id: registered.endpointId, secret: registered.secret })}\n` : `export FUNCX_ENDPOINT_ID=${registered.endpointId}\nexport FUNCX_ENDPOINT_SECRET=${registered.secret}\n`);
}
