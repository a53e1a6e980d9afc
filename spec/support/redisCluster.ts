import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './freePort.js';
import { startRedisServer, type RedisServer } from './redisServer.js';

/** A Redis Cluster of the spec's own: masters on free loopback ports, every slot assigned. */
export interface RedisClusterServer {
  /** The URL `RedisBackend.connect` takes: `redis-cluster://127.0.0.1:<port>,127.0.0.1:<port>,...`. */
  readonly url: string;
  readonly nodes: readonly RedisServer[];
  stop(): Promise<void>;
}

const run = promisify(execFile);

/**
 * Starts `size` redis-servers with `cluster-enabled yes` (each with its own directory, port and
 * cluster bus port), joins them with `redis-cli --cluster create` (no replicas), and waits until
 * every node reports `cluster_state:ok`.
 *
 * @param size - the number of masters (Redis Cluster needs 3 at least)
 * @returns the cluster's URL, its nodes and `stop()`
 */
export async function startRedisCluster(size = 3): Promise<RedisClusterServer> {
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < size; i++) {
      nodes.push(await startRedisServer({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(await freePort())] }));
    }
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    await Promise.all(nodes.map((n) => untilClusterOk(n.url)));
    return { url: `redis-cluster://${addresses.join(',')}`, nodes, stop: () => stopAll(nodes) };
  } catch (error) {
    await stopAll(nodes);
    throw error;
  }
}

async function stopAll(nodes: readonly RedisServer[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()));
}

/** Polls CLUSTER INFO: the nodes agree on the slots through their gossip, which sends no event out. */
async function untilClusterOk(url: string): Promise<void> {
  const probe = new Redis(url, { maxRetriesPerRequest: 1 });
  probe.on('error', () => {}); // a failed probe fails the INFO below, which says more
  try {
    for (let i = 0; i < 400; i++) {
      const info = await probe.cluster('INFO');
      if (/cluster_state:ok/.test(info)) return;
      await sleep(25);
    }
    throw new Error(`the Redis Cluster node at ${url} did not reach cluster_state:ok within 10 s`);
  } finally {
    probe.disconnect();
  }
}
