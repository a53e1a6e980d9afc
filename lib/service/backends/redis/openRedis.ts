import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** One Redis, or a Redis Cluster: the backend speaks to both the same way (every script's keys share one hash tag). */
export type RedisConnection = Redis | Cluster;

/** The scheme of a Redis Cluster URL: `redis-cluster://[user:password@]host:port,host:port,...`. */
export const CLUSTER_SCHEME = 'redis-cluster:';

/**
 * Opens a connection, not connected yet (`lazyConnect`): to one Redis for `redis://` and
 * `rediss://` URLs, or to a Redis Cluster for `redis-cluster://host:port,host:port` (any of its
 * nodes will do as a seed; ioredis finds the rest and follows the slots as they move).
 *
 * @param url - the Redis or Redis Cluster URL
 * @param options - ioredis options for each connection (to the one Redis, or to each cluster node)
 * @returns the connection
 * @example
 * ```ts
 * const redis = openRedis('redis-cluster://10.0.0.2:7000,10.0.0.3:7000', { maxRetriesPerRequest: 2 });
 * await redis.connect();
 * ```
 */
export function openRedis(url: string, options: RedisOptions = {}): RedisConnection {
  if (!url.startsWith(`${CLUSTER_SCHEME}//`)) return new Redis(url, { ...options, lazyConnect: true });
  const { nodes, username, password } = parseClusterUrl(url);
  const { maxRetriesPerRequest, enableAutoPipelining, ...perNode } = options;
  return new Cluster(nodes, {
    lazyConnect: true,
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    redisOptions: { ...perNode, ...(maxRetriesPerRequest === undefined ? {} : { maxRetriesPerRequest }), ...(username ? { username } : {}), ...(password ? { password } : {}) },
  });
}

/**
 * Reads a `redis-cluster://` URL.
 *
 * @param url - `redis-cluster://[user:password@]host:port,host:port,...`
 * @returns its seed nodes and credentials
 * @throws Error naming what is wrong (no node, a node without a port)
 */
export function parseClusterUrl(url: string): { nodes: { host: string; port: number }[]; username?: string; password?: string } {
  const rest = url.slice(`${CLUSTER_SCHEME}//`.length).replace(/\/.*$/, '');
  const at = rest.lastIndexOf('@');
  const [user, pass] = at < 0 ? [undefined, undefined] : rest.slice(0, at).split(':', 2).map(decodeURIComponent);
  const nodes = (at < 0 ? rest : rest.slice(at + 1)).split(',').filter((n) => n !== '').map((node) => {
    const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(node);
    if (!match) throw new Error(`Redis Cluster node "${node}" in ${redactUrl(url)} is not host:port`);
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) };
  });
  if (nodes.length === 0) throw new Error(`A Redis Cluster URL names its nodes: redis-cluster://host:port,host:port (got ${redactUrl(url)})`);
  return { nodes, ...(user ? { username: user } : {}), ...(pass ? { password: pass } : {}) };
}

/**
 * A Redis URL without its password, for logs and errors.
 *
 * @param url - a `redis://`, `rediss://` or `redis-cluster://` URL
 * @returns the URL with its password replaced by `redacted`
 */
export function redactUrl(url: string): string {
  if (url.startsWith(`${CLUSTER_SCHEME}//`)) return url.replace(/^(redis-cluster:\/\/[^:@/]*:)[^@]*@/, '$1redacted@');
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return '(not a URL)'; // connecting fails on it with its own error
  }
}
