import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.js';

/** Where the metrics are served: a port of their own, so that they need no token and can stay off the public interface. */
export interface MetricsListenOptions {
  /**
   * The port; 0 picks a free one.
   */
  readonly port: number;
  /**
   * The interface: keep it on loopback (or a private network) unless Prometheus scrapes from elsewhere.
   * @default '127.0.0.1'
   */
  readonly host?: string;
}

/**
 * Serves one registry at `GET /metrics` in Prometheus's text format, on a port of its own and
 * without authentication (the port is the boundary: loopback by default).
 *
 * @example
 * ```ts
 * const server = await MetricsServer.listen(metrics.registry, { port: 9464 }, log);
 * console.log(server.url); // http://127.0.0.1:9464/metrics
 * await server.close();
 * ```
 */
export class MetricsServer {
  readonly #server: Server;
  readonly #url: string;

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.#url = url;
  }

  /**
   * Listens and waits until it does.
   *
   * @param registry - what to expose
   * @param options - port and interface
   * @param log - where a failed collection is told
   * @returns the listening server
   * @throws the listen error (a port in use) as Node gives it
   */
  static async listen(registry: Registry, options: MetricsListenOptions, log: Logger): Promise<MetricsServer> {
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
        response.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'text/plain' }).end(path === '/metrics' ? 'use GET\n' : 'metrics are at /metrics\n');
        return;
      }
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
        (error: unknown) => {
          // A collect callback failed (the shared counters' Redis away): Prometheus records the scrape as failed.
          log.warn({ err: error }, 'collecting metrics failed');
          response.writeHead(503, { 'content-type': 'text/plain' }).end('collecting metrics failed\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new MetricsServer(server, `http://${host}:${address.port}/metrics`);
  }

  /** The scrape URL, such as `http://127.0.0.1:9464/metrics`. */
  get url(): string {
    return this.#url;
  }

  /**
   * Stops listening and closes scrapers' keep-alive connections.
   *
   * @returns when closed
   */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }
}
