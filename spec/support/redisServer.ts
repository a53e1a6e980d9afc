import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from './freePort.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** A redis-server of the spec's own, on a free port. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** The redis-server process id (for benchmarks that read its CPU time); the current one after a restart. */
  readonly pid: number | undefined;
  /** SIGKILLs the server and waits for it to be gone (its directory stays, for {@link restart}). */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory, and waits until it answers. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Keep every write in the append-only file, fsynced before the answer (`appendfsync always`). @default false: no persistence */
  readonly durable?: boolean;
  /** More `redis-server` arguments (spec/support/redisCluster.ts starts cluster nodes with them). @default none */
  readonly args?: readonly string[];
}


async function waitUntilAnswering(url: string, child: ChildProcess): Promise<void> {
  const failed = once(child, 'error').then(([error]) => {
    throw new Error(`could not start redis-server (is Debian's redis-server installed?): ${(error as Error).message}`);
  });
  const ready = (async () => {
    for (let i = 0; i < 400; i++) {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {}); // each failed probe is retried below; its error says nothing more
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        await sleep(25); // polling a process that gives no readiness event
      }
    }
    throw new Error('redis-server did not answer within 10 s');
  })();
  await Promise.race([ready, failed]);
}

/**
 * Starts `redis-server` (Debian's package; `.ci/run` installs it) on a free loopback port, in a
 * temporary directory, and waits until it answers: with snapshots and the append-only file off,
 * or durable (`appendonly yes`, `appendfsync always`), so that a SIGKILL loses no acknowledged write.
 *
 * @param options - durability
 * @returns its URL, `kill()`, `restart()` and `stop()`, which also removes the directory
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'funcx-rx-redis-'));
  const port = await freePort();
  const persistence = options.durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const start = (): ChildProcess => spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir, '--protected-mode', 'yes', ...(options.args ?? [])], { stdio: 'ignore' });
  let child = start();
  const url = `redis://127.0.0.1:${port}`;
  await waitUntilAnswering(url, child);
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  return {
    url,
    port,
    get pid() {
      return child.pid;
    },
    kill: () => end('SIGKILL'),
    restart: async () => {
      child = start();
      await waitUntilAnswering(url, child);
    },
    stop: async () => {
      await end('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
