import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { TaskExecutionFailed } from '../../lib/errors/TaskExecutionFailed.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { startCli, type CliProcess } from '../support/cli.js';
import { freePort } from '../support/freePort.js';
import { until } from '../support/until.js';

/** A metric's value in Prometheus's text format, by name and labels (0 when absent). */
function value(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * A real `funcx-rx endpoint --metrics-port` process: task run times by language and outcome,
 * worker crashes, and workers busy and idle, as Prometheus reads them from the endpoint itself.
 */
describe('funcx-rx endpoint --metrics-port', () => {
  let service: FuncXService;
  let endpoint: CliProcess;
  let token: string;
  let endpointId: string;
  let metricsUrl: string;

  before(async () => {
    service = await FuncXService.start({ logger: 'silent' });
    const issued = await service.issueToken();
    token = issued.token;
    const registered = await service.registerEndpoint(issued.userId, { name: 'metrics' });
    endpointId = registered.endpointId;
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    endpoint = await startCli(['endpoint', '--service', service.url, '--endpoint-id', endpointId, '--workers', '2', '--metrics-port', String(port), '--log-level', 'warn'], { FUNCX_ENDPOINT_SECRET: registered.secret });
  });
  after(async () => {
    await endpoint?.stop();
    await service?.close();
  });

  it('counts task run times by language and outcome, worker crashes, and workers busy and idle', async () => {
    // The metrics port listens once the endpoint is connected.
    await until(async () => (await fetch(metricsUrl).then((r) => r.ok, () => false)), 'the metrics port');
    const fxc = new FuncXClient({ serviceUrl: service.url, token, asynchronous: true }) as FuncXClient<true>;
    try {
      const ok = await fxc.registerFunction((x: number) => x + 1);
      const bad = await fxc.registerFunction(() => {
        throw new Error('no');
      });
      const crash = await fxc.registerFunction(() => process.exit(3));
      assert.deepEqual(await Promise.all([1, 2, 3, 4, 5].map((x) => fxc.run({ functionId: ok, endpointId }, x))), [2, 3, 4, 5, 6]);
      await assert.rejects(async () => await fxc.run({ functionId: bad, endpointId }), TaskExecutionFailed);
      await assert.rejects(async () => await fxc.run({ functionId: crash, endpointId }), (e: unknown) => e instanceof TaskExecutionFailed && /WorkerCrashed/.test(e.message));
    } finally {
      await fxc.close();
    }
    const text = await (await fetch(metricsUrl)).text();
    assert.equal(value(text, 'funcx_endpoint_task_run_seconds_count', 'language="javascript",outcome="success"'), 5);
    assert.equal(value(text, 'funcx_endpoint_task_run_seconds_count', 'language="javascript",outcome="failed"'), 1);
    assert.equal(value(text, 'funcx_endpoint_task_run_seconds_count', 'language="javascript",outcome="crashed"'), 1);
    assert.equal(value(text, 'funcx_endpoint_worker_crashes_total', 'language="javascript"'), 1);
    assert.equal(value(text, 'funcx_endpoint_workers', 'language="javascript",state="busy"'), 0);
    assert.equal(value(text, 'funcx_endpoint_workers', 'language="javascript",state="idle"'), 2);
    assert.equal(value(text, 'funcx_endpoint_tasks_queued', 'language="javascript"'), 0);
    assert.match(text, /^process_cpu_seconds_total /m, 'default process metrics');
  });
});
