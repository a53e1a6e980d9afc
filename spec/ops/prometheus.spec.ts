import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { freePort } from '../support/freePort.js';
import { startCli, type CliProcess } from '../support/cli.js';


/** One sample of the exposition text: `name{labels} value`. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Asks Prometheus's HTTP API until the query has an answer equal to `want` (its scrapes come every second), or fails after 20 s with the last answer. */
async function queryUntil(base: string, query: string, want: number): Promise<{ value: number; answer: unknown }> {
  let answer: unknown;
  for (let i = 0; i < 80; i++) {
    const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`).catch(() => null);
    if (response?.ok) {
      answer = await response.json();
      const result = (answer as { data: { result: { value: [number, string] }[] } }).data.result;
      if (result.length === 1 && Number(result[0]!.value[1]) === want) return { value: want, answer };
    }
    await sleep(250); // Prometheus tells nobody when it scraped: poll its API
  }
  assert.fail(`Prometheus never answered ${want} to ${query}; last answer: ${JSON.stringify(answer)}`);
}

describe('metrics: a real Prometheus scrapes funcx-rx serve --metrics-port', () => {
  let serve: CliProcess;
  let prometheus: ChildProcess | undefined;
  let dir: string;
  let metricsUrl: string;
  let endpointId: string;

  before(async () => {
    serve = await startCli(['serve', '--json', '--workers', '2', '--metrics-port', '0', '--log-level', 'warn']);
    ({ metrics_url: metricsUrl, endpoint_id: endpointId } = serve.info as { metrics_url: string; endpoint_id: string });
    const client = new FuncXClient({ serviceUrl: serve.info.url!, token: serve.info.token!, asynchronous: true });
    const ok = await client.registerFunction({ name: 'double', source: '(x) => x * 2' });
    const boom = await client.registerFunction({ name: 'boom', source: '(x) => { throw new Error(`no ${x}`); }' });
    const runs = [
      ...Array.from({ length: 10 }, (_, i) => client.run({ functionId: ok, endpointId }, i)),
      ...Array.from({ length: 2 }, (_, i) => client.run({ functionId: boom, endpointId }, i)),
    ];
    const settled = await Promise.allSettled(runs);
    assert.equal(settled.filter((s) => s.status === 'fulfilled').length, 10);
    await client.close();
  });

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await once(prometheus, 'exit');
    }
    await serve?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('should listen on 127.0.0.1 only, on a port of its own, and answer without a token', async () => {
    assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.notEqual(new URL(metricsUrl).port, new URL(serve.info.url!).port);
    const response = await fetch(metricsUrl);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    assert.equal((await fetch(metricsUrl.replace('/metrics', '/other'))).status, 404);
  });

  it('should count the tasks just run, per endpoint, with the names, types and labels docs/operations.md lists', async () => {
    const text = await (await fetch(metricsUrl)).text();
    const ep = `endpoint_id="${endpointId}"`;
    assert.equal(sample(text, 'funcx_tasks_submitted_total', ep), 12);
    assert.equal(sample(text, 'funcx_tasks_completed_total', ep), 10);
    assert.equal(sample(text, 'funcx_tasks_failed_total', ep), 2);
    assert.equal(sample(text, 'funcx_tasks_cancelled_total', ep), undefined, 'no series before a cancel');
    assert.equal(sample(text, 'funcx_tasks', 'status="success"'), 10);
    assert.equal(sample(text, 'funcx_tasks', 'status="failed"'), 2);
    assert.equal(sample(text, 'funcx_task_latency_seconds_count', 'status="success"'), 10);
    assert.equal(sample(text, 'funcx_endpoint_sockets_open', ''), 1);
    assert.equal(sample(text, 'funcx_endpoint_queue_depth', ep), 0);
    assert.ok((sample(text, 'funcx_http_request_duration_seconds_count', 'method="POST",route="/v2/submit",status_code="200"') ?? 0) >= 1);
    assert.ok((sample(text, 'process_cpu_seconds_total', '') ?? 0) > 0, 'default process metrics');
    for (const [name, type] of [['funcx_tasks_completed_total', 'counter'], ['funcx_tasks', 'gauge'], ['funcx_task_latency_seconds', 'histogram'], ['funcx_http_request_duration_seconds', 'histogram'], ['funcx_endpoint_workers', 'gauge']]) {
      assert.ok(text.includes(`# TYPE ${name} ${type}\n`), `${name} is a ${type}`);
    }
  });

  it("should give Prometheus's HTTP API the completed-task counter it scraped", async () => {
    dir = await mkdtemp(join(tmpdir(), 'funcx-prom-'));
    const port = await freePort();
    const target = new URL(metricsUrl).host;
    await writeFile(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: funcx\n    static_configs:\n      - targets: ['${target}']\n`);
    prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    prometheus.stderr!.on('data', (chunk) => (log += String(chunk)));
    const failed = once(prometheus, 'exit').then(([code]) => assert.fail(`prometheus exited with ${String(code)}: ${log}`));
    const query = `sum(funcx_tasks_completed_total{endpoint_id="${endpointId}"})`;
    const { answer } = await Promise.race([queryUntil(`http://127.0.0.1:${port}`, query, 10), failed]);
    process.stdout.write(`# Prometheus answered ${query}: ${JSON.stringify(answer)}\n`);
    const up = await queryUntil(`http://127.0.0.1:${port}`, 'up{job="funcx"}', 1);
    assert.equal(up.value, 1);
  });
});
