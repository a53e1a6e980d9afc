import { runCli, startCli, type CliProcess } from './cli.js';
import { FaultProxy } from './FaultProxy.js';
import { startRedisCluster, type RedisClusterServer } from './redisCluster.js';
import { startRedisServer, type RedisServer } from './redisServer.js';

/** What {@link startReplicaSet} starts. */
export interface ReplicaSetOptions {
  /** The endpoint's name. */
  readonly name: string;
  /** More `funcx-rx serve` arguments for each replica (`--ping-interval`, limits). */
  readonly serveArgs?: readonly string[];
  /** Redis with AOF and `appendfsync always`, for specs that SIGKILL it. */
  readonly durable?: boolean;
  /** The endpoint reaches replica B through a load balancer (a TCP proxy outside the replicas). */
  readonly balanced?: boolean;
  /** The replicas share a three-node Redis Cluster (`redis-cluster://...`) instead of one redis-server. */
  readonly cluster?: boolean;
  /** The endpoint's worker threads (2 by default). */
  readonly workers?: number;
}

/** A real redis-server (or Redis Cluster), two `funcx-rx serve --redis` replicas, a user, and an endpoint process on B. */
export interface ReplicaSet<Store extends { readonly url: string } = RedisServer> {
  readonly redis: Store;
  /** The user's token (made with `funcx-rx token create --redis`). */
  readonly token: string;
  readonly endpoint: { readonly endpoint_id: string; readonly secret: string };
  readonly a: CliProcess;
  readonly b: CliProcess;
  readonly ep: CliProcess;
  /** The balancer in front of B, when asked for. */
  readonly balancer: FaultProxy | null;
  /** Starts another replica like these (on `port`, to take a killed one's place). */
  readonly replica: (port?: string) => Promise<CliProcess>;
}

/**
 * The replica specs' common set-up, every part a real process: a redis-server on a free port, a
 * token, a registered endpoint, two replicas, and `funcx-rx endpoint` connected to B (directly, or
 * through a balancer). Stop what it started with {@link stopReplicaSet}, passing the parts as the
 * spec holds them then (a spec may have replaced a killed replica).
 *
 * @param options - the endpoint's name and workers, the replicas' arguments, Redis's durability, a balancer, a Redis Cluster
 * @returns the parts
 * @example
 * ```ts
 * before(async () => ({ redis, token, endpoint, a, b, ep, replica } = await startReplicaSet({ name: 'spec', serveArgs: ['--ping-interval', '1000'] })));
 * after(() => stopReplicaSet({ ep, a, b, redis }));
 * ```
 */
export async function startReplicaSet(options: ReplicaSetOptions & { cluster: true }): Promise<ReplicaSet<RedisClusterServer>>;
export async function startReplicaSet(options: ReplicaSetOptions & { cluster?: false }): Promise<ReplicaSet>;
export async function startReplicaSet(options: ReplicaSetOptions): Promise<ReplicaSet<RedisServer | RedisClusterServer>> {
  const redis = options.cluster ? await startRedisCluster(3) : await startRedisServer({ durable: options.durable ?? false });
  const replica = (port = '0'): Promise<CliProcess> => startCli(['serve', '--redis', redis.url, '--json', '--port', port, ...(options.serveArgs ?? [])]);
  const { token } = (await runCli(['token', 'create', '--redis', redis.url, '--json'])) as { token: string };
  const endpoint = (await runCli(['endpoint-register', '--redis', redis.url, '--json', '--name', options.name], { FUNCX_TOKEN: token })) as { endpoint_id: string; secret: string };
  const [a, b] = await Promise.all([replica(), replica()]);
  const balancer = options.balanced ? await FaultProxy.start(b.info.url!) : null;
  const ep = await startCli(['endpoint', '--service', balancer?.url ?? b.info.url!, '--endpoint-id', endpoint.endpoint_id, '--workers', String(options.workers ?? 2)], { FUNCX_ENDPOINT_SECRET: endpoint.secret });
  return { redis, token, endpoint, a, b, ep, balancer, replica };
}

/**
 * Stops a replica set's parts, the endpoint first, then the replicas, the balancer and Redis;
 * parts never started (a failed `before`) are skipped.
 *
 * @param parts - the processes as the spec holds them now
 * @returns when every one has exited
 */
export async function stopReplicaSet(parts: { ep?: CliProcess | undefined; a?: CliProcess | undefined; b?: CliProcess | undefined; balancer?: FaultProxy | null | undefined; redis?: { stop(): Promise<void> } | undefined }): Promise<void> {
  await parts.ep?.stop();
  await parts.a?.stop();
  await parts.b?.stop();
  await parts.balancer?.close();
  await parts.redis?.stop();
}
