import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { python } from '../../lib/client/PythonFunction.js';
import { DependencyFailed } from '../../lib/errors/DependencyFailed.js';
import { startLocalService, type LocalService } from '../../lib/local/startLocalService.js';

const WORKER = fileURLToPath(new URL('../../lib/endpoint/python/worker.py', import.meta.url));

describe('Python functions taking task inputs', () => {
  let local: LocalService;
  let fxc: FuncXClient<true>;
  before(async () => {
    local = await startLocalService({ workers: 2 });
    fxc = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true });
  });
  after(async () => {
    await fxc.close();
    await local.stop();
  });

  it('should run double(double(double(1))) = 8 in CPython, each taking the previous task', async () => {
    const functionId = await fxc.registerFunction(python<(x: number) => number>`
      def double(x):
          return x * 2
    `);
    const target = { functionId, endpointId: local.endpointId };
    assert.equal(await fxc.run(target, fxc.run(target, fxc.run(target, 1))), 8);
  });

  it('should put inputs in nested lists and dicts, in args and kwargs, and mix JavaScript and Python tasks', async () => {
    const py = await fxc.registerFunction(python<(xs: number[], by?: { factor: number }) => number>`
      def weighted(xs, by=None):
          assert isinstance(xs, list) and isinstance(by, dict), (type(xs), type(by))
          return sum(xs) * by["factor"]
    `);
    const js = await fxc.registerFunction((x: number) => x + 1);
    const one = fxc.run({ functionId: js, endpointId: local.endpointId }, 0); // JavaScript: 1
    const two = fxc.run({ functionId: js, endpointId: local.endpointId }, one); // 2
    const pyTask = fxc.run({ functionId: py, endpointId: local.endpointId, kwargs: { by: { factor: two } } }, [one, two, one]); // (1+2+1)*2 = 8
    const back = fxc.run({ functionId: js, endpointId: local.endpointId }, pyTask); // JavaScript on Python's result: 9
    assert.equal(await back, 9);
  });

  it('should fail a Python dependant with DependencyFailed when its Python input raises', async () => {
    const raises = await fxc.registerFunction(python<() => number>`
      def raises():
          raise ValueError("python input boom")
    `);
    const double = await fxc.registerFunction(python<(x: number) => number>`
      def double(x):
          return x * 2
    `);
    const a = fxc.run({ functionId: raises, endpointId: local.endpointId });
    const b = fxc.run({ functionId: double, endpointId: local.endpointId }, a);
    await assert.rejects(b.asPromise(), (e: unknown) => e instanceof DependencyFailed && e.inputTaskId === a.taskId);
  });

  it('worker.py: markers in tuples too, each input loaded once, a missing input a clear TaskInputMissing', async () => {
    const script = [
      'import importlib.util, json, sys',
      `spec = importlib.util.spec_from_file_location("worker", ${JSON.stringify(WORKER)})`,
      'w = importlib.util.module_from_spec(spec); spec.loader.exec_module(w)',
      'r = w.InputResolver({"a": "11\\n[1, 2]"})',
      'value = r(((({"__funcx_rx_task__": "a"},), [{"__funcx_rx_task__": "a"}]), {"k": {"__funcx_rx_task__": "a"}, "n": {"__funcx_rx_task__": "a", "x": 1}}))',
      'print(json.dumps([isinstance(value[0][0], tuple), value[0][0][0], value[0][1][0], value[1]["k"], value[1]["n"], value[0][0][0] is value[1]["k"]]))',
      'try:',
      '    r({"__funcx_rx_task__": "gone"})',
      'except w.TaskInputMissing as e:',
      '    print(json.dumps(str(e)))',
    ].join('\n');
    const { stdout } = await promisify(execFile)('python3', ['-c', script]);
    const [shape, missing] = stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown);
    assert.deepEqual(shape, [true, [1, 2], [1, 2], [1, 2], { __funcx_rx_task__: 'a', x: 1 }, true]);
    assert.match(missing as string, /input task gone did not come with this task/);
  });
});
