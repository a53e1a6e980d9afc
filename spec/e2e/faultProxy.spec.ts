import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const proxyModule = fileURLToPath(new URL('../support/FaultProxy.ts', import.meta.url));

/**
 * Runs `code` (an ES module) in a fresh `node --import tsx` and waits for its exit, at most `ms`.
 *
 * @returns its exit code and output; `code` is null when it had to be killed
 */
async function runNode(code: string, ms: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit').then(([exitCode]) => exitCode as number | null);
  const deadline = setTimeout(() => child.kill('SIGKILL'), ms);
  const exitCode = await exited;
  clearTimeout(deadline);
  return { code: child.signalCode === 'SIGKILL' ? null : exitCode, stdout, stderr };
}

/**
 * The FaultProxy must never leave a socket behind: a socket it resets while its end is under way
 * (Node ends a socket by itself when its peer sends FIN) used to keep its handle for ever, and the
 * spec's process then spun at 100 % CPU at exit (Node's Environment::CleanupHandles), which stalled
 * `npm test` after spec/e2e/cancellation.spec.ts.
 */
describe('FaultProxy', () => {
  it('should let the process exit when it resets a connection whose service side is ending', async () => {
    // The service closes each connection at once. The moment Node ends the proxy's upstream socket
    // in turn (its shutdown issued, not yet performed), the proxy is closed, which resets that socket.
    const script = `
      import net from 'node:net';
      import { once } from 'node:events';
      import { FaultProxy } from ${JSON.stringify(proxyModule)};
      const service = net.createServer((socket) => socket.end());
      await new Promise((resolve) => service.listen(0, '127.0.0.1', resolve));
      const servicePort = service.address().port;
      const proxy = await FaultProxy.start('http://127.0.0.1:' + servicePort);
      let ending;
      const reset = new Promise((resolve) => (ending = resolve));
      const final = net.Socket.prototype._final;
      net.Socket.prototype._final = function (cb) {
        final.call(this, cb);
        if (this.remotePort === servicePort) ending(this);
      };
      const client = net.connect(Number(new URL(proxy.url).port), '127.0.0.1');
      client.on('error', () => {});
      const upstream = await reset;
      const closed = new Promise((resolve) => upstream.once('close', resolve));
      await proxy.close();
      await closed;
      console.log('upstream closed');
      client.destroy();
      service.close();
    `;
    const run = await runNode(script, 30_000);
    assert.notEqual(run.code, null, `the process did not exit (it spins in CleanupHandles when a socket is left half-reset); output: ${run.stdout} ${run.stderr}`);
    assert.equal(run.stdout.trim(), 'upstream closed', run.stderr);
    assert.equal(run.code, 0, run.stderr);
  });

  it('should still reset a live connection with an RST', async () => {
    const script = `
      import net from 'node:net';
      import { once } from 'node:events';
      import { FaultProxy } from ${JSON.stringify(proxyModule)};
      let arrived;
      const request = new Promise((resolve) => (arrived = resolve));
      const service = net.createServer((socket) => socket.on('error', () => {}).once('data', arrived));
      await new Promise((resolve) => service.listen(0, '127.0.0.1', resolve));
      const proxy = await FaultProxy.start('http://127.0.0.1:' + service.address().port);
      const client = net.connect(Number(new URL(proxy.url).port), '127.0.0.1');
      const failed = once(client, 'error');
      await once(client, 'connect');
      client.write('GET / HTTP/1.1\\r\\n\\r\\n');
      await request; // through the proxy: the link is up
      proxy.resetAll();
      const [error] = await failed;
      console.log(error.code);
      await proxy.close();
      service.close();
    `;
    const run = await runNode(script, 30_000);
    assert.notEqual(run.code, null, `the process did not exit; output: ${run.stdout} ${run.stderr}`);
    assert.equal(run.stdout.trim(), 'ECONNRESET', run.stderr);
  });
});
