import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { artifacts, launchChromium, root, watchErrors } from '../support/browserHarness.js';
import { startCli, type CliProcess } from '../support/cli.js';

/** Over a few seconds on the service's 2 workers, so that the chart has points to draw. */
const TASKS = 60;

/**
 * The live dashboard of a real `serve --json --metrics-port`, in real headless Chromium: it
 * renders, its numbers move while tasks run, and they agree with the Prometheus counters the
 * same service serves. `UPDATE_SCREENSHOTS=1` makes its screenshot the README's (docs/images/dashboard.png).
 */
describe('the dashboard in headless Chromium', () => {
  let serve: CliProcess;
  let browser: Browser;

  before(async () => {
    serve = await startCli(['serve', '--json', '--workers', '2', '--metrics-port', '0']);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it('shows endpoints, workers and tasks by status, and its numbers move with the tasks and agree with /metrics', async () => {
    const { url, token, metrics_url: metricsUrl } = serve.info as { url: string; token: string; metrics_url: string };
    const page = await browser.newPage({ viewport: { width: 800, height: 760 } });
    const errors = watchErrors(page);
    // The token rides in the fragment, which the browser never sends.
    await page.goto(`${url}/dashboard#token=${encodeURIComponent(token)}`);
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'live');
    await page.waitForFunction(() => document.getElementById('endpoints-online')?.textContent === '1 / 1');
    const fxc = new FuncXClient({ serviceUrl: url, token, asynchronous: true }) as FuncXClient<true>;
    try {
      const functionId = await fxc.registerFunction(async (x: number) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return x;
      });
      const endpointId = serve.info.endpoint_id!;
      const results = await Promise.all(Array.from({ length: TASKS }, (_, i) => fxc.run({ functionId, endpointId }, i)));
      assert.equal(results.length, TASKS);
    } finally {
      await fxc.close();
    }
    // The page hears of the ends on its next snapshots.
    await page.waitForFunction((n) => Number(document.getElementById('tasks-ended')?.textContent) >= n, TASKS);
    const shown = await page.evaluate(() => ({
      ended: Number(document.getElementById('tasks-ended')!.textContent),
      success: Number(document.querySelector('[data-status="success"]')?.textContent),
      outstanding: Number(document.getElementById('tasks-outstanding')!.textContent),
      canvases: document.querySelectorAll('#chart canvas').length,
    }));
    assert.equal(shown.ended, TASKS, 'every task ended since the page opened');
    assert.equal(shown.success, TASKS, 'tasks by status');
    assert.equal(shown.outstanding, 0);
    assert.equal(shown.canvases, 1, 'the chart is drawn');
    // The chart took a point a second while the tasks ran.
    await page.waitForFunction(() => Number(document.getElementById('chart')?.dataset.points) >= 3);
    const metrics = await (await fetch(metricsUrl)).text();
    const completed = [...metrics.matchAll(/^funcx_tasks_completed_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    assert.equal(completed, shown.success, 'the dashboard agrees with the Prometheus counter');
    // The README's picture is refreshed on request only, so that a test run changes no file of the repository.
    await page.screenshot({ path: process.env.UPDATE_SCREENSHOTS === '1' ? join(root, 'docs/images/dashboard.png') : join(artifacts, 'dashboard.png') });
    assert.deepEqual(errors, []);
  });

  it('refuses the stream without a valid token, in funcX\'s envelope', async () => {
    const answer = await fetch(`${serve.info.url}/v2/dashboard/stream`, { headers: { authorization: 'Bearer wrong' } });
    assert.equal(answer.status, 401);
    assert.equal(((await answer.json()) as { code: number }).code, 1);
  });
});
