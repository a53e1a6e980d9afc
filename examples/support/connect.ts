import { startLocalService } from 'funcx-rx/service';

/** Where an example runs its tasks, and how to let go of it. */
export interface ExampleConnection {
  readonly serviceUrl: string;
  readonly token: string;
  readonly endpointId: string;
  stop(): Promise<void>;
}

/**
 * Uses the service named by FUNCX_SERVICE_URL, FUNCX_TOKEN and FUNCX_ENDPOINT_ID when set
 * (for example one started with `npx funcx-rx serve`), and otherwise starts the embedded
 * service with a local endpoint for the length of the example.
 */
export async function connect(): Promise<ExampleConnection> {
  const { FUNCX_SERVICE_URL: serviceUrl, FUNCX_TOKEN: token, FUNCX_ENDPOINT_ID: endpointId } = process.env;
  if (serviceUrl) {
    if (!token || !endpointId) throw new TypeError('With FUNCX_SERVICE_URL set, also set FUNCX_TOKEN and FUNCX_ENDPOINT_ID');
    return { serviceUrl, token, endpointId, stop: async () => {} };
  }
  const local = await startLocalService();
  return { serviceUrl: local.url, token: local.token, endpointId: local.endpointId, stop: () => local.stop() };
}
