import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Endpoint } from '../../lib/endpoint/Endpoint.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { DEBIAN_PYTHON, missingSdk, runChecks, scratchHome, valueOf, type CheckOutcome } from '../support/pythonSdks.js';

const SDK = 'funcx-0.3.4';
const skip = missingSdk(SDK);


const doubled = (n: number): number[] => Array.from({ length: n }, (_, i) => i * 2);

describe('the funcX SDK 0.3.4, unmodified, against the service (spec/interop/funcx034_checks.py)', { timeout: 120_000 }, () => {
  if (skip !== null) {
    it('runs the vendored funcX SDK 0.3.4', { skip }, () => {});
    return;
  }
  let service: FuncXService;
  let endpoint: Endpoint;
  let home: Awaited<ReturnType<typeof scratchHome>>;
  let checks: Record<string, CheckOutcome>;

  before(async () => {
    service = await FuncXService.start();
    const user = await service.issueToken();
    const registered = await service.registerEndpoint(user.userId);
    endpoint = await Endpoint.start({ serviceUrl: service.url, endpointId: registered.endpointId, secret: registered.secret, workers: 1, pythonWorkers: 2, python: DEBIAN_PYTHON });
    home = await scratchHome(user.userId);
    checks = await runChecks('funcx034_checks.py', SDK, {
      HOME: home.home,
      GLOBUS_SDK_ENVIRONMENT: home.environment,
      FXRX_URL: service.url,
      FXRX_TOKEN: user.token,
      FXRX_ENDPOINT: registered.endpointId,
    });
  });
  after(async () => {
    await endpoint?.close();
    await service?.close();
    await home?.close();
  });

  it('FuncXClient connects with bearer authorizers and passes its version check', () => {
    assert.equal(valueOf(checks.client), 'FuncXClient');
    assert.ok(home.authRequests() >= 1, 'its one Globus Auth call went to the stub');
  });

  it('register_function registers a function (nulls for description, container_uuid and group)', () => {
    assert.deepEqual(valueOf(checks.register_function), [36, 36]);
  });

  it('run, then get_result polling, gives the function\'s value (a pickled result, 00)', () => {
    assert.equal(valueOf(checks.run_get_result), 100);
  });

  it('get_task gives the finished task', () => {
    assert.deepEqual(valueOf(checks.get_task), { pending: false, status: 'success', result: 100 });
  });

  it('a 10-task batch runs, and get_batch_result gives every result', () => {
    assert.deepEqual(valueOf(checks.batch), doubled(10));
  });

  it('a remote ValueError is re-raised by get_result, with its message', () => {
    assert.deepEqual(valueOf(checks.remote_exception), { type: 'ValueError', message: 'bad value 7' });
  });

  it('FuncXExecutor resolves 20 futures over the result WebSocket, sharing the polling client\'s task group', () => {
    assert.deepEqual(valueOf(checks.executor), doubled(20));
  });

  it('the asynchronous client resolves its tasks over the WebSocket, and raises the remote ValueError', () => {
    assert.deepEqual(valueOf(checks.async_client), { values: [0, 2, 4], exception: 'ValueError: bad value 3' });
  });

  it('get_endpoint_status says the endpoint is online', () => {
    assert.deepEqual(valueOf(checks.endpoint_status), { status: 'online', logs: [] });
  });
});
