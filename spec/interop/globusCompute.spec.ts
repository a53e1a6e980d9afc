import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'amqplib';
import { Endpoint } from '../../lib/endpoint/Endpoint.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { call } from '../support/rawApi.js';
import { DEBIAN_PYTHON, missingSdk, PYTHON_SDKS, runChecks, scratchHome, valueOf, type CheckOutcome } from '../support/pythonSdks.js';
import { startRabbitmqServer, type RabbitmqServer } from '../support/rabbitmqServer.js';

const SDK = 'globus-compute-4.15';
const skip = missingSdk(SDK);


const doubled = (n: number): number[] => Array.from({ length: n }, (_, i) => i * 2);

describe('the Globus Compute SDK 4.15, unmodified, against the service with RabbitMQ (spec/interop/globus_compute_checks.py)', { timeout: 180_000 }, () => {
  if (skip !== null) {
    it('runs the vendored Globus Compute SDK 4.15', { skip }, () => {});
    return;
  }
  let rabbit: RabbitmqServer;
  let service: FuncXService;
  let endpoint: Endpoint;
  let home: Awaited<ReturnType<typeof scratchHome>>;
  let sandbox: string;
  let user: { userId: string; token: string };
  let endpointId: string;
  let checks: Record<string, CheckOutcome>;

  before(async () => {
    rabbit = await startRabbitmqServer();
    service = await FuncXService.start({ amqp: { url: rabbit.url, managementUrl: rabbit.managementUrl } });
    user = await service.issueToken();
    const registered = await service.registerEndpoint(user.userId);
    endpointId = registered.endpointId;
    sandbox = await mkdtemp(join(tmpdir(), 'funcx-rx-sandbox-'));
    endpoint = await Endpoint.start({
      serviceUrl: service.url,
      endpointId,
      secret: registered.secret,
      workers: 1,
      pythonWorkers: 2,
      python: DEBIAN_PYTHON,
      // A ShellFunction arrives as a pickled instance of the SDK's class: the workers import it.
      pythonPath: [join(PYTHON_SDKS, SDK)],
      sandboxDir: sandbox,
    });
    home = await scratchHome(user.userId);
    checks = await runChecks('globus_compute_checks.py', SDK, { HOME: home.home, FXRX_URL: service.url, FXRX_TOKEN: user.token, FXRX_ENDPOINT: endpointId });
  });
  after(async () => {
    await endpoint?.close();
    await service?.close();
    await rabbit?.stop();
    await home?.close();
    if (sandbox) await rm(sandbox, { recursive: true, force: true });
  });

  it('Client connects with a bearer authorizer and passes its version check', () => {
    assert.equal(valueOf(checks.client), 'Client');
  });

  it('register_function registers on POST /v3/functions', () => {
    assert.deepEqual(valueOf(checks.register_function), [36, 36]);
  });

  it('run (POST /v3/endpoints/<id>/submit), then get_result polling, gives the function\'s value', () => {
    assert.equal(valueOf(checks.run_get_result), 100);
  });

  it('a 10-task batch runs, and get_batch_result gives every result', () => {
    assert.deepEqual(valueOf(checks.batch), { results: doubled(10), endpoint_id: endpointId });
  });

  it('a remote ValueError comes back as TaskExecutionFailed with the remote traceback', () => {
    assert.deepEqual(valueOf(checks.remote_exception), { type: 'TaskExecutionFailed', last_line: 'ValueError: bad value 7' });
  });

  it('ShellFunction("echo {x}") gives a ShellResult, run in the task\'s own sandbox directory', () => {
    const shell = valueOf(checks.shell_function) as { type: string; returncode: number; stdout: string[]; task_id: string };
    assert.equal(shell.type, 'ShellResult');
    assert.equal(shell.returncode, 0);
    assert.deepEqual(shell.stdout, ['hello', join(sandbox, shell.task_id)]);
  });

  it('MPIFunction without ranks runs its command alone and gives a ShellResult', () => {
    assert.deepEqual(valueOf(checks.mpi_function), { type: 'ShellResult', returncode: 0, stdout: ['ranks'] });
  });

  it('Executor resolves 20 futures from its task group\'s AMQP queue on RabbitMQ, and a failing one raises', () => {
    assert.deepEqual(valueOf(checks.executor), { values: doubled(20), exception: 'TaskExecutionFailed: ValueError: bad value 3' });
  });

  it('get_endpoint_status says the endpoint is online', () => {
    assert.deepEqual(valueOf(checks.endpoint_status), { status: 'online' });
  });

  it('a user\'s RabbitMQ credentials read their own result queues only', async () => {
    const other = await service.issueToken();
    const mine = (await call(service.url, 'GET', '/v2/get_amqp_result_connection_url', { token: user.token })).body as { connection_url: string; queue_prefix: string };
    const theirs = (await call(service.url, 'GET', '/v2/get_amqp_result_connection_url', { token: other.token })).body as { connection_url: string; queue_prefix: string };
    assert.notEqual(mine.queue_prefix, theirs.queue_prefix);
    // A queue of the first user's, made by a v3 submit that asks for one.
    const fn = (await call(service.url, 'POST', '/v3/functions', { token: user.token, body: { function_name: 'f', function_code: '3\nst\n', meta: null } })).body.function_uuid as string;
    const submitted = await call(service.url, 'POST', `/v3/endpoints/${endpointId}/submit`, { token: user.token, body: { create_queue: true, tasks: { [fn]: [] } } });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    const queue = `${mine.queue_prefix}${submitted.body.task_group_id as string}`;
    const owner = await connect(mine.connection_url);
    const intruder = await connect(theirs.connection_url);
    try {
      await (await owner.createChannel()).checkQueue(queue);
      const channel = await intruder.createChannel();
      channel.on('error', () => {}); // the refusal closes the channel; it is asserted below
      await assert.rejects(channel.consume(queue, () => {}), /ACCESS_REFUSED/);
    } finally {
      await owner.close();
      await intruder.close();
    }
  });
});
