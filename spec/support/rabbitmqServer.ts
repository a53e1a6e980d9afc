import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from './freePort.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A rabbitmq-server of the spec's own: its ports, its data directory, its administrator. */
export interface RabbitmqServer {
  /** The administrator's AMQP URL, `amqp://admin:password@127.0.0.1:port/`. */
  readonly url: string;
  /** The management API, `http://127.0.0.1:port`. */
  readonly managementUrl: string;
  stop(): Promise<void>;
}

/** Debian's rabbitmq-server, run directly (its /usr/sbin wrapper switches to the system's rabbitmq user and data). */
const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';


/**
 * Starts `rabbitmq-server` (Debian's package; `.ci/run` installs it) with the management plugin,
 * on free loopback ports, with its node name, Erlang cookie, data and logs in a temporary
 * directory, and waits until it says its startup is complete.
 *
 * @returns its URLs and `stop()`, which stops it and removes the directory
 */
export async function startRabbitmqServer(): Promise<RabbitmqServer> {
  const dir = await mkdtemp(join(tmpdir(), 'funcx-rx-rabbitmq-'));
  const [amqpPort, managementPort, distPort] = [await freePort(), await freePort(), await freePort()];
  const password = randomBytes(12).toString('hex');
  await writeFile(
    join(dir, 'rabbitmq.conf'),
    [`listeners.tcp.default = 127.0.0.1:${amqpPort}`, `management.tcp.port = ${managementPort}`, 'management.tcp.ip = 127.0.0.1', 'default_user = admin', `default_pass = ${password}`, ''].join('\n'),
  );
  await writeFile(join(dir, 'enabled_plugins'), '[rabbitmq_management].\n');
  // Its own process group, so stop() ends the Erlang VM and its helpers together.
  const child = spawn(SERVER, [], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      HOME: dir,
      RABBITMQ_NODENAME: `funcx-rx-${process.pid}-${amqpPort}@localhost`,
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_LOGS: '-',
      RABBITMQ_DIST_PORT: String(distPort),
    },
  });
  let output = '';
  const exited = once(child, 'exit');
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-8000);
      if (output.includes('Server startup complete')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => reject(new Error(`could not start rabbitmq-server (is Debian's rabbitmq-server installed?): ${error.message}`)));
    void exited.then(([code]) => reject(new Error(`rabbitmq-server exited with code ${String(code)} before its startup completed:\n${output}`)));
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGKILL: its graceful stop takes seconds, and its data directory goes with it anyway.
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await ready;
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `amqp://admin:${password}@127.0.0.1:${amqpPort}/`, managementUrl: `http://127.0.0.1:${managementPort}`, stop };
}
