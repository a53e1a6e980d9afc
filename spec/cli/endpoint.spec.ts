import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { until } from '../support/until.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The endpoint CLI from its TypeScript source, with its output collected. */
function endpointCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'endpoint', '--workers', '1', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FUNCX_ENDPOINT_SECRET: '', ...env },
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (out.stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (out.stderr += String(chunk)));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  return { child, out, exited };
}

async function stopped(cli: { child: ChildProcess; exited: Promise<[number | null, string | null]>; out: { stderr: string } }): Promise<number | null> {
  if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGTERM');
  const [code, signal] = await cli.exited;
  // A death by a signal says which, with what the process wrote last.
  if (code === null) console.log(`# the endpoint died of ${String(signal)}; stderr: ${cli.out.stderr.slice(-2000)}`);
  return code;
}

/** A TCP listener on `port` that forwards every connection to `target`. */
async function forwarder(port: number, target: number): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect(target, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('funcx-rx endpoint', () => {
  let service: FuncXService;
  let dir: string;
  before(async () => {
    service = await FuncXService.start();
    dir = await mkdtemp(join(tmpdir(), 'funcx-rx-endpoint-'));
  });
  after(async () => {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes its secret from --secret-file, keeps it off its command line, and stops with 0 on SIGTERM', async () => {
    const { endpointId, secret } = await service.registerEndpoint((await service.issueToken()).userId);
    const file = join(dir, 'secret');
    await writeFile(file, `${secret}\n`);
    await chmod(file, 0o600);
    const cli = endpointCli(['--service', service.url, '--endpoint-id', endpointId, '--secret-file', file]);
    await until(() => cli.out.stdout.includes('connected'), 'the endpoint to connect');
    const cmdline = await readFile(`/proc/${cli.child.pid}/cmdline`, 'utf8');
    assert.ok(!cmdline.includes(secret), 'the secret is not on the command line');
    assert.equal(await stopped(cli), 0);
    assert.equal(cli.out.stderr, '');
  });

  it('takes its secret from FUNCX_ENDPOINT_SECRET', async () => {
    const { endpointId, secret } = await service.registerEndpoint((await service.issueToken()).userId);
    const cli = endpointCli(['--service', service.url, '--endpoint-id', endpointId], { FUNCX_ENDPOINT_SECRET: secret });
    await until(() => cli.out.stdout.includes('connected'), 'the endpoint to connect');
    assert.equal(await stopped(cli), 0);
  });

  it('without a secret, says how to give one and exits 2', async () => {
    const cli = endpointCli(['--service', service.url, '--endpoint-id', (await service.registerEndpoint((await service.issueToken()).userId)).endpointId]);
    assert.equal((await cli.exited)[0], 2);
    assert.match(cli.out.stderr, /FUNCX_ENDPOINT_SECRET or with --secret-file/);
  });

  it('warns that --secret is deprecated, and says clearly when the service refuses it (exit 1)', async () => {
    const { endpointId } = await service.registerEndpoint((await service.issueToken()).userId);
    const cli = endpointCli(['--service', service.url, '--endpoint-id', endpointId, '--secret', 'wrong']);
    assert.equal((await cli.exited)[0], 1);
    assert.match(cli.out.stderr, /warning: --secret is deprecated: `ps` shows it/);
    assert.match(cli.out.stderr, /The service refused the endpoint's credentials \(HTTP 403\)\n$/);
  });

  it('retries its first connection with backoff until the service is there', async () => {
    const { endpointId, secret } = await service.registerEndpoint((await service.issueToken()).userId);
    const port = await freePort();
    const cli = endpointCli(['--service', `http://127.0.0.1:${port}`, '--endpoint-id', endpointId], { FUNCX_ENDPOINT_SECRET: secret });
    let proxy: Server | undefined;
    try {
      await until(() => (cli.out.stderr.match(/cannot connect to/g) ?? []).length >= 2, 'two failed attempts');
      assert.match(cli.out.stderr, /cannot connect to http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED.*; retrying in \d+ ms/);
      assert.equal(cli.child.exitCode, null, 'still running');
      proxy = await forwarder(port, Number(new URL(service.url).port));
      await until(() => cli.out.stdout.includes('connected'), 'the endpoint to connect once the service is reachable');
      assert.equal(await stopped(cli), 0);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      proxy?.close();
    }
  });

  it('when a restarted service refuses its credentials, says so on stderr and exits 1', async () => {
    const first = await FuncXService.start();
    const port = Number(new URL(first.url).port);
    const { endpointId, secret } = await first.registerEndpoint((await first.issueToken()).userId);
    const cli = endpointCli(['--service', first.url, '--endpoint-id', endpointId], { FUNCX_ENDPOINT_SECRET: secret });
    let second: FuncXService | undefined;
    try {
      await until(() => cli.out.stdout.includes('connected'), 'the endpoint to connect');
      await first.close();
      // The same address, but a service that has never heard of this endpoint.
      second = await FuncXService.start({ port });
      const [code] = await cli.exited;
      assert.equal(code, 1);
      assert.match(cli.out.stderr, /^funcx-rx endpoint: stopped: The service refused the endpoint's credentials \(HTTP 403\)\n$/m);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      await first.close();
      await second?.close();
    }
  });
});
