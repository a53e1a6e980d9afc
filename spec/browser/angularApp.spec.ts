import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { artifacts, launchChromium, root, startServe, startStaticSite, watchErrors, type ServeProcess, type StaticSite } from '../support/browserHarness.js';

const app = join(root, 'examples/angular');
const SUM_OF_SQUARES = Array.from({ length: 100 }, (_, i) => i * i).reduce((a, b) => a + b, 0);

async function run(command: string, args: string[], cwd: string): Promise<void> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NG_CLI_ANALYTICS: 'false' } });
  let output = '';
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${code}):\n${output}`);
}

async function taskStatus(serve: ServeProcess, taskId: string): Promise<string> {
  const answer = await fetch(`${serve.url}/v2/tasks/${taskId}`, { headers: { authorization: `Bearer ${serve.token}` } });
  return ((await answer.json()) as { status: string }).status;
}

async function untilStatus(serve: ServeProcess, taskId: string, wanted: string): Promise<string> {
  let status = '';
  for (let i = 0; i < 200 && status !== wanted; i++) {
    status = await taskStatus(serve, taskId);
    if (status !== wanted) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return status;
}

describe('the Angular example, built, in headless Chromium from another origin', () => {
  const sites = new Map<string, StaticSite>();
  let serve: ServeProcess;
  let browser: Browser;

  before(async () => {
    // The example depends on the package through "file:../..", that is on dist/: build it fresh.
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], root);
    // Installed on first use, and again when its lock file changed; npm's cache stays in the example folder.
    const installed = join(app, 'node_modules/.package-lock.json');
    if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(join(app, 'package-lock.json')).mtimeMs) {
      await run('npm', ['ci', '--no-audit', '--no-fund', '--cache', join(app, '.npm-cache')], app);
    }
    const ng = join(app, 'node_modules/@angular/cli/bin/ng.js');
    await run(process.execPath, [ng, 'build'], app);
    await run(process.execPath, [ng, 'build', '--configuration', 'zone'], app);
    for (const mode of ['zoneless', 'zone']) sites.set(mode, await startStaticSite(join(app, 'dist', mode, 'browser')));
    serve = await startServe([...sites.values()].map((site) => site.origin));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await serve?.stop();
    for (const site of sites.values()) await site.close();
  });

  for (const [mode, label] of [['zoneless', 'zoneless'], ['zone', 'zone.js']] as const) {
    it(`${label}: runs 100 tasks with live statuses, a remote exception, a cancel, and an async pipe that cancels on destroy`, async () => {
      const site = sites.get(mode)!;
      const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
      await context.addInitScript((token) => sessionStorage.setItem('funcx-token', token), serve.token);
      const page: Page = await context.newPage();
      const errors = watchErrors(page);
      await page.goto(`${site.origin}/?service=${encodeURIComponent(serve.url)}&endpoint=${serve.endpointId}`);
      await page.locator('#ready').waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('#mode').textContent(), label);
      assert.equal(await page.locator('#zone').textContent(), mode === 'zone' ? 'zone.js loaded' : 'no zone.js');
      const rewrite = (await page.locator('#rewrite-check').textContent())!;
      if (mode === 'zone') assert.match(rewrite, /refused: Function `\w*` was rewritten by a bundler or transpiler/, 'zone.js builds lower async functions');
      else assert.match(rewrite, /registered as it is/);

      await page.locator('#run-batch').click();
      await page.locator('#sum').waitFor({ timeout: 60_000 });
      assert.equal(await page.locator('#sum').textContent(), `sum of squares: ${SUM_OF_SQUARES}`);
      assert.equal((await page.locator('#completed').textContent())!.trim(), '100 of 100 done');
      const cells = await page.locator('#tasks td.status').allTextContents();
      assert.equal(cells.length, 100);
      assert.deepEqual([...new Set(cells.map((c) => c.trim()))], ['success']);
      const statuses = (await page.locator('#statuses').textContent())!.split(' → ');
      assert.equal(statuses[0], 'queued');
      assert.ok(statuses.includes('running'), `task 99 streamed: ${statuses.join(' → ')}`);
      assert.equal(statuses.at(-1), 'success');
      assert.notEqual(await page.locator('#throughput-chart polyline').getAttribute('points'), '');
      await page.screenshot({ path: join(artifacts, `angular-${mode}.png`), fullPage: true });

      await page.locator('#run-failing').click();
      await page.locator('#remote-error', { hasText: 'remote' }).waitFor({ timeout: 10_000 });
      assert.equal(await page.locator('#remote-error').textContent(), 'remote RangeError: no squares of negative numbers here');

      await page.locator('#run-long').click();
      const longId = (await page.locator('#long-task').textContent())!;
      assert.equal(await untilStatus(serve, longId, 'running'), 'running');
      await page.locator('#cancel-long').click();
      await page.locator('#long-status', { hasText: 'cancelled' }).waitFor({ timeout: 10_000 });
      assert.equal(await untilStatus(serve, longId, 'cancelled'), 'cancelled', 'the cancel reached the service');

      await page.locator('#toggle-watcher').click();
      const watchedId = (await page.locator('#watcher-task').textContent())!;
      assert.equal(await untilStatus(serve, watchedId, 'running'), 'running');
      await page.locator('#toggle-watcher').click();
      await page.locator('#watcher-task').waitFor({ state: 'detached' });
      assert.equal(await untilStatus(serve, watchedId, 'cancelled'), 'cancelled', "destroying the component made the async pipe unsubscribe, which cancelled the task");

      assert.deepEqual(errors, []);
      await context.close();
    });
  }
});
