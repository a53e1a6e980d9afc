import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { TaskSubmissionFailed } from '../../lib/errors/TaskSubmissionFailed.js';
import { ServiceUnreachable } from '../../lib/errors/ServiceUnreachable.js';
import { freePort as closedPort } from '../support/freePort.js';
import { startCli, type CliProcess } from '../support/cli.js';
import { until } from '../support/until.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FUNCX_SERVICE_URL: '', FUNCX_TOKEN: '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  return { code, signal, stdout, stderr };
}


async function stats(url: string, token: string): Promise<{ tasks_outstanding: number; tasks_by_status: Record<string, number> }> {
  return (await (await fetch(`${url}/v2/stats`, { headers: { authorization: `Bearer ${token}` } })).json()) as { tasks_outstanding: number; tasks_by_status: Record<string, number> };
}

describe('the rough edges a new user meets', () => {
  let serve: CliProcess;
  let url: string;
  let token: string;
  let dir: string;

  before(async () => {
    serve = await startCli(['serve', '--json', '--workers', '2', '--log-level', 'warn']);
    ({ url, token } = serve.info as { url: string; token: string });
    dir = await mkdtemp(join(tmpdir(), 'funcx-edges-'));
  });
  after(async () => {
    await serve?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('endpoint-register --service: a plain serve gives a second endpoint its id and secret, without Redis', async () => {
    const registered = await run(['lib/cli/main.ts', 'endpoint-register', '--service', url, '--name', 'second'], { FUNCX_TOKEN: token });
    assert.equal(registered.code, 0, registered.stderr);
    const match = /^export FUNCX_ENDPOINT_ID=([0-9a-f-]{36})\nexport FUNCX_ENDPOINT_SECRET=(\S+)\n$/.exec(registered.stdout);
    assert.ok(match, registered.stdout);
    const endpoint = await startCli(['endpoint', '--service', url, '--endpoint-id', match[1]!, '--workers', '1', '--log-level', 'warn'], { FUNCX_ENDPOINT_SECRET: match[2]! });
    try {
      assert.equal(endpoint.info.line, `endpoint ${match[1]} connected to ${url}`);
      const client = new FuncXClient({ serviceUrl: url, token });
      assert.equal((await client.getEndpointStatus(match[1]!)).status, 'online');
    } finally {
      await endpoint.stop();
    }
    const refused = await run(['lib/cli/main.ts', 'endpoint-register', '--service', url], { FUNCX_TOKEN: 'not-a-token' });
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, 'funcx-rx: USER_UNAUTHENTICATED (1): The bearer token is not valid\n');
  });

  it('a wrong service URL: the error names the URL and the network cause at once', async () => {
    const port = await closedPort();
    const client = new FuncXClient({ serviceUrl: `http://127.0.0.1:${port}`, token: 't' });
    await assert.rejects(client.version(), (error: unknown) => {
      assert.ok(error instanceof ServiceUnreachable);
      assert.equal(error.code, 'FX_SERVICE_UNREACHABLE');
      assert.equal(error.url, `http://127.0.0.1:${port}/v2/version`);
      assert.equal(error.message, `GET http://127.0.0.1:${port}/v2/version failed: cannot reach the service (connect ECONNREFUSED 127.0.0.1:${port}); it never answered this client: is the URL right, and the service up?`);
      assert.equal(error.neverReached, true);
      return true;
    });
    const file = join(dir, 'ok.js');
    await writeFile(file, '(x) => x');
    const cli = await run(['lib/cli/main.ts', 'function', 'register', file, '--service', `http://127.0.0.1:${port}`, '--token', 't']);
    assert.equal(cli.code, 1);
    assert.equal(cli.stderr, `funcx-rx: POST http://127.0.0.1:${port}/v2/functions failed: cannot reach the service (connect ECONNREFUSED 127.0.0.1:${port}); it never answered this client: is the URL right, and the service up?\n`);
  });

  it('a wrong service URL: run() says so at once, without retrying a service it never reached', async () => {
    const port = await closedPort();
    let calls = 0;
    const client = new FuncXClient({
      serviceUrl: `http://127.0.0.1:${port}`,
      token: 't',
      asynchronous: true,
      fetch: (url, init) => {
        calls++;
        return fetch(url, init);
      },
    }) as FuncXClient<true>;
    try {
      await assert.rejects(async () => await client.run({ functionId: '00000000-0000-4000-8000-000000000001', endpointId: '00000000-0000-4000-8000-000000000002' }, 1), (error: unknown) => {
        assert.ok(error instanceof TaskSubmissionFailed, String(error));
        assert.ok(error.cause instanceof ServiceUnreachable && error.cause.neverReached, String(error.cause));
        return true;
      });
      assert.equal(calls, 1, 'one attempt: nothing to retry against a service that never answered');
    } finally {
      await client.close();
    }
  });

  it('function register refuses a file that is not one function expression, with the reason, before any request', async () => {
    const cases: [string, string, string][] = [
      ['cjs.js', 'module.exports = (x) => x * 2;\n', 'ReferenceError: module is not defined'],
      ['esm.js', 'export default (x) => x * 2;\n', "SyntaxError: Unexpected token 'export'"],
      ['number.js', '42\n', 'The source of `FILE` evaluates to a number, not a function'],
    ];
    for (const [name, text, reason] of cases) {
      const file = join(dir, name);
      await writeFile(file, text);
      // The service URL would refuse the connection: a message about the file proves nothing was sent.
      const cli = await run(['lib/cli/main.ts', 'function', 'register', file, '--service', `http://127.0.0.1:${await closedPort()}`, '--token', 't']);
      assert.equal(cli.code, 1, name);
      assert.equal(cli.stderr, `funcx-rx: ${file} is not a function file: it must hold one self-contained function expression, such as \`async (x) => x * 2\` (no \`export\`, no \`module.exports =\`, no imports); ${reason.replace('FILE', file)}\n`);
    }
    const shorthand = join(dir, 'scale.js');
    await writeFile(shorthand, 'scale(x) { return x * 2; }\n');
    const ok = await run(['lib/cli/main.ts', 'function', 'register', shorthand, '--service', url, '--token', token]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^[0-9a-f-]{36}\n$/, 'a method shorthand is a function the endpoint runs');
  });

  it('cancelOnSignal: Ctrl-C in a client script cancels its remote tasks, and the script ends by the signal', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'spec/ops/fixtures/ctrlC.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FUNCX_SERVICE_URL: url, FUNCX_TOKEN: token, FUNCX_ENDPOINT_ID: serve.info.endpoint_id!, TASKS: '5' } });
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    assert.equal(line, 'running');
    assert.equal((await stats(url, token)).tasks_outstanding, 5);
    child.kill('SIGINT');
    assert.deepEqual(await exited, [null, 'SIGINT']);
    const after = await stats(url, token);
    assert.equal(after.tasks_outstanding, 0);
    assert.equal(after.tasks_by_status.cancelled, 5);
  });

  it("a limit's refusal names the argument, the option and the serve flag that raises it", async () => {
    const client = new FuncXClient({ serviceUrl: url, token, asynchronous: true });
    const functionId = await client.registerFunction({ name: 'len', source: '(s) => s.length' });
    await assert.rejects(async () => client.run({ functionId, endpointId: serve.info.endpoint_id! }, 'x'.repeat(2 * 1024 * 1024)), (error: Error) => {
      assert.match(error.message, /The arguments of task [0-9a-f-]{36} \(its payload\) are \d+ bytes; the limit is 1048576 \(the service's maxPayloadBytes: funcx-rx serve --max-payload-bytes\)/);
      return true;
    });
    await client.close();
  });

  it('serve prints `export` lines a shell can eval', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'serve', '--workers', '1', '--log-level', 'silent'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
    const lines: string[] = [];
    const reader = createInterface({ input: child.stdout });
    reader.on('line', (l) => lines.push(l));
    await until(() => lines.includes('Stop with Ctrl-C.'), 'the banner');
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
    assert.equal(lines.length, 5);
    assert.match(lines[0]!, /^funcx-rx service listening$/);
    assert.match(lines[1]!, /^  export FUNCX_SERVICE_URL=http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(lines[2]!, /^  export FUNCX_TOKEN=\S+$/);
    assert.match(lines[3]!, /^  export FUNCX_ENDPOINT_ID=[0-9a-f-]{36}$/);
  });
});
