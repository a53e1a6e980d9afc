import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { firstValueFrom, from, toArray } from 'rxjs';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { FuncXExecutor } from '../../lib/executor/FuncXExecutor.js';
import type { FunctionId } from '../../lib/client/FunctionId.js';
import { python } from '../../lib/client/PythonFunction.js';
import { Endpoint } from '../../lib/endpoint/Endpoint.js';
import { findPython, type PythonRuntime } from '../../lib/endpoint/python/findPython.js';
import { SerializationError } from '../../lib/errors/SerializationError.js';
import { TaskExecutionFailed } from '../../lib/errors/TaskExecutionFailed.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { pack } from '../../lib/serialize/pack.js';
import { packPayload, serializePythonSource } from '../../lib/serialize/serialize.js';
import { call } from '../support/rawApi.js';
import { until } from '../support/until.js';

/** What spec/python/sdk_records.py prints: records made as the Globus Compute SDK makes them. */
interface SdkRecords {
  readonly name: string;
  readonly source: string;
  readonly function_code: Record<string, string>;
  readonly payload: string;
  readonly payload_unicode: string;
  readonly payload_13?: string;
  readonly payload_00?: string;
  readonly dill: string | null;
}

const failure = async (task: PromiseLike<unknown>): Promise<TaskExecutionFailed> => {
  try {
    await task;
  } catch (error) {
    if (error instanceof TaskExecutionFailed) return error;
    throw error;
  }
  return assert.fail('expected the task to fail');
};

describe('Python functions from TypeScript, in Globus Compute\'s serialization (real CPython)', { timeout: 60_000 }, () => {
  let service: FuncXService;
  let endpoint: Endpoint;
  let user: { userId: string; token: string };
  let endpointId: string;
  let runtime: PythonRuntime;
  let sdk: SdkRecords;
  let fxc: FuncXClient<true>;

  before(async () => {
    const found = await findPython();
    assert.ok(found.runtime, `these specs need CPython 3 (tried: ${found.tried.join('; ')})`);
    runtime = found.runtime;
    const { stdout } = await promisify(execFile)(runtime.executable, [new URL('./sdk_records.py', import.meta.url).pathname]);
    sdk = JSON.parse(stdout) as SdkRecords;
    service = await FuncXService.start();
    user = await service.issueToken();
    const registered = await service.registerEndpoint(user.userId);
    endpointId = registered.endpointId;
    endpoint = await Endpoint.start({ serviceUrl: service.url, endpointId, secret: registered.secret, workers: 1, pythonWorkers: 1 });
    fxc = new FuncXClient({ serviceUrl: service.url, token: user.token, asynchronous: true, batchInterval: 0 });
  });
  after(async () => {
    await fxc?.close({ cancel: true });
    await endpoint?.close();
    await service?.close();
  });

  /** Registers a function record over HTTP, as the Python SDK posts it. */
  const registerRecord = async (functionCode: string): Promise<string> => {
    const answer = await call(service.url, 'POST', '/v2/functions', { token: user.token, body: { function_name: sdk.name, function_code: functionCode, description: 'from the SDK' } });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.function_uuid as string;
  };
  /** Submits one task with a payload as the Python SDK made it, and waits for its result. */
  const runRecord = async (functionId: string, payload: string): Promise<unknown> => {
    const answer = await call(service.url, 'POST', '/v2/submit', { token: user.token, body: { tasks: [[functionId, endpointId, payload]] } });
    assert.equal(answer.body.results[0].status, 'Success', JSON.stringify(answer.body));
    const [task] = fxc.watch([answer.body.results[0].task_uuid as string], answer.body.task_group_id as string);
    return task;
  };

  /**
   * Submits one task with pickled arguments, as the Python SDK makes them. Its result comes back
   * pickled (00): the TypeScript client says it cannot read it, and Python reads the record's.
   */
  const runPickled = async (functionId: string, payload: string): Promise<string> => {
    const answer = await call(service.url, 'POST', '/v2/submit', { token: user.token, body: { tasks: [[functionId, endpointId, payload]] } });
    assert.equal(answer.body.results[0].status, 'Success', JSON.stringify(answer.body));
    const taskId = answer.body.results[0].task_uuid as string;
    const [task] = fxc.watch([taskId], answer.body.task_group_id as string);
    await assert.rejects(Promise.resolve(task), (error: unknown) => error instanceof SerializationError && error.method === '00');
    const record = await call(service.url, 'GET', `/v2/tasks/${taskId}`, { token: user.token });
    assert.match(record.body.result as string, /^00\n/);
    const read = 'import codecs, pickle, sys; print(repr(pickle.loads(codecs.decode(sys.argv[1][3:].encode(), "base64"))))';
    return (await promisify(execFile)(runtime.executable, ['-c', read, record.body.result as string])).stdout.trim();
  };

  it('the endpoint says it runs Python, and which', async () => {
    await until(async () => (await fxc.getEndpointStatus(endpointId)).languages != null, 'the endpoint to say what it runs');
    const status = await fxc.getEndpointStatus(endpointId);
    assert.equal(status.status, 'online');
    assert.deepEqual(status.languages?.python, { available: true, version: runtime.version, executable: runtime.executable, dill: runtime.dill, workers: 1 });
    assert.equal(status.languages?.javascript.version, process.version);
  });

  it('runs a function serialized by hand as PureSourceTextInspect (st) with a JSONData (11) payload', async () => {
    const functionId = await registerRecord(sdk.function_code.st!);
    assert.equal(await runRecord(functionId, sdk.payload), 150);
    // Registered elsewhere, called from TypeScript: the id is typed by annotation.
    const typed: FunctionId<(x: number, kwargs?: { by: number }) => number> = functionId;
    assert.equal(await fxc.run({ functionId: typed, endpointId, kwargs: { by: 3 } }, 50), 150);
  });

  it('registers Python from TypeScript as exactly the record and payload the SDK makes', async () => {
    assert.equal(pack([serializePythonSource(sdk.name, sdk.source)]), sdk.function_code.st);
    assert.equal(packPayload([50], { by: 3 }), sdk.payload);
    assert.equal(packPayload(['é😀', 0.00001, [1.5, null, true]]), sdk.payload_unicode);
    const functionId: FunctionId<(x: number, kwargs?: { by: number }) => number> = await fxc.registerFunction({ language: 'python', name: sdk.name, source: sdk.source });
    assert.equal(await fxc.run({ functionId, endpointId, kwargs: { by: 3 } }, 50), 150);
  });

  it('Python tasks run beside JavaScript ones: a busy worker thread does not hold them up', async () => {
    const slow = await fxc.registerFunction(async (ms: number) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return ms;
    });
    const echo = await fxc.registerFunction(python<(x: string) => string>`def echo(x): return x`);
    const js = fxc.run({ functionId: slow, endpointId }, 3000);
    await until(async () => (await fxc.getTask(js.taskId).catch(() => null))?.status === 'running', 'the JavaScript task to take the only worker thread');
    assert.equal(await fxc.run({ functionId: echo, endpointId }, 'beside'), 'beside');
    assert.equal((await fxc.getTask(js.taskId)).status, 'running', 'the JavaScript task is still running');
    js.cancel();
    await js.catch(() => undefined);
  });

  it('the executor submits and maps Python functions', async () => {
    const fx = new FuncXExecutor(fxc, { endpointId, batchInterval: 10 });
    const square = python<(x: number) => number>`
      def square(x):
          return x * x
    `;
    assert.equal(await fx.submit(square, 7).result(), 49);
    assert.deepEqual(await firstValueFrom(from([1, 2, 3]).pipe(fx.map(square, { concurrency: 2 }), toArray())), [1, 4, 9]);
    await fx.shutdown();
  });

  it('runs a fast Python function\'s tasks in micro-batches on its process, each task with its own result and GC_TASK_UUID', async () => {
    const probe = await fxc.registerFunction(python<(x: number) => [number, boolean, string]>`
      import os, traceback
      def probe(x):
          in_batch = any(frame.name == "run_batch" for frame in traceback.extract_stack())
          return [x * 2, in_batch, os.environ.get("GC_TASK_UUID")]
    `);
    // Measured first (a new function's tasks go one by one), then 300 at once: more than the one process can take singly.
    assert.equal((await fxc.run({ functionId: probe, endpointId }, 0))[0], 0);
    const tasks = Array.from({ length: 300 }, (_, i) => fxc.run({ functionId: probe, endpointId }, i));
    const outcomes = await Promise.all(tasks);
    assert.deepEqual(outcomes.map(([doubled]) => doubled), tasks.map((_, i) => i * 2));
    assert.deepEqual(outcomes.map(([, , uuid]) => uuid), tasks.map((task) => task.taskId), 'each task saw its own id');
    assert.ok(outcomes.filter(([, inBatch]) => inBatch).length > 0, 'some ran in a micro-batch');
  });

  it('loads every code id Globus Compute sends (sd, 01, 03, 04, CombinedCode 10, AllCodeStrategies 12) and reads 13 and 00 data', async () => {
    assert.ok(sdk.dill, `the dill-based ids need dill in ${runtime.executable} (.ci/run installs python3-dill)`);
    for (const id of ['sd', '01', '03', '04', '10', '12']) {
      const functionId = await registerRecord(sdk.function_code[id]!);
      assert.equal(await runRecord(functionId, sdk.payload), 150, `method ${id}`);
    }
    const st = await registerRecord(sdk.function_code.st!);
    // Pickled arguments get a pickled result (docs/serialization.md, "Results"), which Python reads.
    assert.equal(await runPickled(st, sdk.payload_13!), '150', 'AllDataStrategies (13) arguments');
    assert.equal(await runPickled(st, sdk.payload_00!), '150', 'DillDataBase64 (00) arguments');
  });

  it('a Python exception reaches the client as TaskExecutionFailed with its type, message and traceback', async () => {
    const divide = await fxc.registerFunction(python<(x: number) => number>`
      def inverse(x):
          return 1 / x
    `);
    const error = await failure(fxc.run({ functionId: divide, endpointId }, 0));
    assert.equal(error.remoteName, 'ZeroDivisionError');
    assert.equal(error.remoteMessage, 'division by zero');
    assert.match(error.remoteStack, /Traceback \(most recent call last\):\n {2}File "<python function inverse>", line 2, in inverse\n {4}return 1 \/ x/);
    assert.equal(await fxc.run({ functionId: divide, endpointId }, 4), 0.25);
  });

  it('cancelling a running Python loop frees its worker: the next Python task runs on it', async () => {
    const spin = await fxc.registerFunction(python`
      def spin():
          while True:
              pass
    `);
    const echo = await fxc.registerFunction(python<(x: string) => string>`def echo(x): return x`);
    const loop = fxc.run({ functionId: spin, endpointId });
    loop.catch(() => undefined);
    await until(async () => (await fxc.getTask(loop.taskId).catch(() => null))?.status === 'running', 'the loop to run');
    const next = fxc.run({ functionId: echo, endpointId }, 'after');
    await until(async () => (await fxc.getTask(next.taskId).catch(() => null))?.status === 'waiting-for-launch', 'the next task to wait for the only Python worker');
    loop.cancel();
    assert.equal(await next, 'after');
    assert.equal((await fxc.getTask(loop.taskId)).status, 'cancelled');
  });

  it('an os._exit() crash is reported as WorkerCrashed, and the worker is replaced', async () => {
    const crash = await fxc.registerFunction(python`
      import os
      def crash():
          os._exit(3)
    `);
    const error = await failure(fxc.run({ functionId: crash, endpointId }));
    assert.equal(error.remoteName, 'WorkerCrashed');
    assert.match(error.remoteMessage, /exited with code 3/);
    const echo = await fxc.registerFunction(python<(x: number) => number>`def echo(x): return x`);
    assert.equal(await fxc.run({ functionId: echo, endpointId }, 7), 7);
  });

  it('says clearly when a dill-based id meets a Python without dill', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'funcx-rx-nodill-'));
    // -S leaves out site-packages, where dill lives: the same CPython, without dill.
    const wrapper = join(dir, 'python-without-dill');
    await writeFile(wrapper, `#!/bin/sh\nexec "${runtime.executable}" -S "$@"\n`);
    await chmod(wrapper, 0o755);
    const registered = await service.registerEndpoint(user.userId);
    const bare = await Endpoint.start({ serviceUrl: service.url, endpointId: registered.endpointId, secret: registered.secret, workers: 1, python: wrapper });
    try {
      assert.equal(bare.languages.python.available && bare.languages.python.dill, null);
      const functionId = await registerRecord(sdk.function_code['01'] ?? pack(['01\nAAAA\n']));
      const error = await failure(fxc.run({ functionId, endpointId: registered.endpointId }, 50));
      assert.match(error.remoteMessage, /Method 01 \(DillCode\) needs the dill package, which this endpoint's Python .* lacks/);
    } finally {
      await bare.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an endpoint without Python says so, and a Python task sent to it fails at once', async () => {
    const registered = await service.registerEndpoint(user.userId);
    const none = await Endpoint.start({ serviceUrl: service.url, endpointId: registered.endpointId, secret: registered.secret, workers: 1, python: '/nonexistent/python3' });
    try {
      await until(async () => (await fxc.getEndpointStatus(registered.endpointId)).languages != null, 'the endpoint to say what it runs');
      const status = await fxc.getEndpointStatus(registered.endpointId);
      assert.equal(status.languages?.python.available, false);
      const functionId = await fxc.registerFunction(python`def f(): return 1`);
      const error = await failure(fxc.run({ functionId, endpointId: registered.endpointId }));
      assert.equal(error.remoteName, 'PythonUnavailable');
      assert.match(error.remoteMessage, /This endpoint runs no Python/);
    } finally {
      await none.close();
    }
  });
});
