import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { artifacts, launchChromium, root, startServe, startStaticSite, watchErrors, type ServeProcess, type StaticSite } from '../support/browserHarness.js';

/** The README's browser snippet, exactly as written there, between its markers. */
async function readmeSnippet(): Promise<string> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const match = /<!-- browser-snippet:start -->\n```ts\n([\s\S]*?)```\n<!-- browser-snippet:end -->/.exec(readme);
  assert.ok(match, 'README.md has the browser snippet between its markers');
  return match[1]!;
}

describe('the README browser snippet in headless Chromium, from another origin', () => {
  let site: StaticSite;
  let serve: ServeProcess;
  let browser: Browser;

  before(async () => {
    site = await startStaticSite();
    serve = await startServe([site.origin]);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await serve?.stop();
    await site?.close();
  });

  it('should register, run 100 tasks, stream statuses, catch a remote exception and cancel, with no console errors', async () => {
    const snippet = await readmeSnippet();
    // Only the two placeholders a reader fills in are replaced.
    const source = snippet.replace(`'http://127.0.0.1:8080'`, JSON.stringify(serve.url)).replace(`'YOUR-ENDPOINT-ID'`, JSON.stringify(serve.endpointId));
    assert.notEqual(source, snippet);
    const bundle = await build({
      stdin: { contents: source, loader: 'ts', resolveDir: root, sourcefile: 'readme-snippet.ts' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
      // The package as a bundler resolves it for a browser: its "." entry and the default "#websocket".
      alias: { 'funcx-rx': join(root, 'lib/index.ts'), '#websocket': join(root, 'lib/transport/websocket.browser.ts') },
    });
    site.files.set('/bundle.js', bundle.outputFiles[0]!.text);
    site.files.set('/index.html', '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>funcx-rx</title></head><body><h1>funcx-rx in the browser</h1><script type="module" src="/bundle.js"></script></body></html>');

    const context = await browser.newContext();
    await context.addInitScript((token) => sessionStorage.setItem('funcx-token', token), serve.token);
    const page = await context.newPage();
    const errors = watchErrors(page);
    const serviceRequests: string[] = [];
    const sockets: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(serve.url)) serviceRequests.push(`${request.method()} ${new URL(request.url()).pathname}`);
    });
    page.on('websocket', (socket) => sockets.push(socket.url()));

    await page.goto(`${site.origin}/`);
    await page.locator('#done').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(artifacts, 'plain-page.png'), fullPage: true });

    assert.equal(await page.locator('#progress').textContent(), '100 of 100 done');
    assert.equal(await page.locator('#sum').textContent(), `sum of squares: ${Array.from({ length: 100 }, (_, i) => i * i).reduce((a, b) => a + b, 0)}`);
    const statuses = (await page.locator('#statuses').textContent())!.replace('task 99: ', '').split(' → ');
    assert.equal(statuses[0], 'queued');
    assert.ok(statuses.includes('running'), `streamed statuses: ${statuses.join(' → ')}`);
    assert.equal(statuses.at(-1), 'success');
    assert.equal(await page.locator('#remote-error').textContent(), 'remote RangeError: no squares of negative numbers here');
    const cancelled = (await page.locator('#cancelled').textContent())!;
    const cancelledId = /^task ([0-9a-f-]{36}) cancelled$/.exec(cancelled)?.[1];
    assert.ok(cancelledId, cancelled);
    const record = await (await fetch(`${serve.url}/v2/tasks/${cancelledId}`, { headers: { authorization: `Bearer ${serve.token}` } })).json() as { status: string };
    assert.equal(record.status, 'cancelled', 'the cancel reached the service');

    assert.ok(serviceRequests.includes('OPTIONS /v2/functions') || serviceRequests.includes('POST /v2/functions'), serviceRequests.join(', '));
    assert.ok(serviceRequests.includes('POST /v2/submit'));
    assert.ok(sockets.length >= 1 && sockets.every((url) => url.startsWith(serve.url.replace('http', 'ws')) && !url.includes('access_token')), `sockets: ${sockets.join(', ')}`);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
