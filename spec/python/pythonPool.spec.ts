import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { findPython, type PythonSearch } from '../../lib/endpoint/python/findPython.js';
import { PythonPool } from '../../lib/endpoint/python/PythonPool.js';
import type { WorkerOutcome } from '../../lib/endpoint/worker.js';
import { pack } from '../../lib/serialize/pack.js';
import { deserialize, deserializeError, packPayload, serializePythonSource } from '../../lib/serialize/serialize.js';

let nextId = 0;
const job = (name: string, source: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) => ({
  functionId: `py${nextId++}`,
  functionCode: pack([serializePythonSource(name, source)]),
  payload: packPayload(args, kwargs),
});
const value = (outcome: WorkerOutcome): unknown => ('result' in outcome ? deserialize(outcome.result) : assert.fail(`expected a result, got ${outcome.exception}`));
const error = (outcome: WorkerOutcome) => ('exception' in outcome ? deserializeError(outcome.exception) : assert.fail(`expected an exception, got ${outcome.result}`));

const LOOP = 'def spin():\n    while True:\n        pass\n';
/** Python that tells the spec it has started: it connects to the spec's port (see startSignal). */
const SIGNAL = 'import socket\ndef signal_start(port):\n    socket.create_connection(("127.0.0.1", port)).close()\n\n';
const SIGNALLED_LOOP = `${SIGNAL}def spin(port):\n    signal_start(port)\n    while True:\n        pass\n`;

/**
 * A port a Python task connects to once it runs: `started` resolves on that connection (and
 * fails if the task's outcome comes first), so a spec acts on a task known to be running.
 */
async function startSignal(): Promise<{ port: number; started(task: Promise<WorkerOutcome>): Promise<void>; close(): Promise<void> }> {
  const server = createServer((socket) => socket.resume().on('error', () => {}));
  const connected = once(server, 'connection');
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    started: async (task) => {
      await Promise.race([connected, task.then((outcome) => assert.fail(`the task ended before it said it started: ${JSON.stringify(outcome)}`))]);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('PythonPool (real CPython worker processes, one worker)', { timeout: 60_000 }, () => {
  let python: PythonSearch;
  let pool: PythonPool;
  before(async () => {
    python = await findPython();
    assert.ok(python.runtime, `these specs need CPython 3 (tried: ${python.tried.join('; ')})`);
    pool = new PythonPool({ python, workers: 1, maxResultBytes: 100_000, memoryMb: 512 });
  });
  after(() => pool.close());

  it('.run() - calls the function with args and kwargs and returns JSONData', async () => {
    const outcome = await pool.run(job('scale', 'def scale(x, by=2):\n    return {"x": x, "scaled": x * by, "t": (1, "é")}\n', [21], { by: 3 }));
    assert.ok('result' in outcome && outcome.result.startsWith('11\n{"x": 21, "scaled": 63, "t": [1, "\\u00e9"]}'), JSON.stringify(outcome));
    assert.deepEqual(value(outcome), { x: 21, scaled: 63, t: [1, 'é'] });
  });

  it('.run() - awaits an async def', async () => {
    assert.equal(value(await pool.run(job('later', 'import asyncio\nasync def later(x):\n    await asyncio.sleep(0.01)\n    return x + 1\n', [1]))), 2);
  });

  it('.run() - returns a Python exception with its type, message and traceback', async () => {
    const remote = error(await pool.run(job('boom', 'def helper(d):\n    return d["missing"]\n\ndef boom():\n    return helper({})\n')));
    assert.equal(remote.name, 'KeyError');
    assert.equal(remote.message, "'missing'");
    assert.match(remote.stack, /^Traceback \(most recent call last\):/);
    assert.match(remote.stack, /line 5, in boom\n\s+return helper\(\{\}\)/, 'the traceback shows the user\'s own lines');
    assert.match(remote.stack, /line 2, in helper/);
    assert.doesNotMatch(remote.stack, /worker\.py/, 'the worker\'s frames are left out');
    const custom = error(await pool.run(job('fail', 'class Oops(ValueError):\n    pass\n\ndef fail():\n    raise Oops("custom")\n')));
    assert.deepEqual([custom.name, custom.message], ['Oops', 'custom']);
  });

  it('.run() - a result JSON cannot carry fails with a clear error', async () => {
    for (const [body, type] of [['{1, 2}', 'set'], ['float("nan")', 'float'], ['object()', 'object']] as const) {
      const remote = error(await pool.run(job('bad', `def bad():\n    return ${body}\n`)));
      assert.equal(remote.name, 'ResultNotSerializable');
      assert.match(remote.message, new RegExp(`returned a ${type}, which JSONData \\(11\\) cannot carry`));
    }
  });

  it('.run() - refuses a result over the size limit, and the worker goes on', async () => {
    const remote = error(await pool.run(job('big', 'def big():\n    return "x" * 200000\n')));
    assert.equal(remote.name, 'ResultTooLarge');
    assert.match(remote.message, /over this endpoint's limit of 100000 bytes/);
    assert.equal(value(await pool.run(job('small', 'def small():\n    return "ok"\n'))), 'ok');
  });

  it('.run() - a time limit stops a loop that never returns, and a new process takes the next task', async () => {
    const remote = error(await pool.run(job('spin', LOOP), { timeoutMs: 300 }));
    assert.equal(remote.name, 'TaskTimeout');
    assert.equal(value(await pool.run(job('next', 'def next():\n    return "next"\n'))), 'next');
  });

  it('.run() - aborting stops a running loop and frees its worker for the next task', async () => {
    const controller = new AbortController();
    const signal = await startSignal();
    try {
      const running = pool.run(job('spin', SIGNALLED_LOOP, [signal.port]), { signal: controller.signal });
      const next = pool.run(job('after', 'import os\ndef after():\n    return os.getpid()\n'));
      await signal.started(running);
      controller.abort(new Error('cancelled'));
      await assert.rejects(running, /cancelled/);
      assert.equal(typeof value(await next), 'number', 'the waiting task ran on the freed (replaced) worker');
    } finally {
      await signal.close();
    }
    assert.equal(pool.processes, 1);
  });

  it('.run() - os._exit() fails only its task with WorkerCrashed, and the worker is replaced', async () => {
    const pid = value(await pool.run(job('pid', 'import os\ndef pid():\n    return os.getpid()\n')));
    const remote = error(await pool.run(job('crash', 'import os\ndef crash():\n    os._exit(7)\n')));
    assert.equal(remote.name, 'WorkerCrashed');
    assert.match(remote.message, /Python worker process died: the Python process exited with code 7/);
    assert.equal(pool.processes, 1, 'a replacement is started at once');
    const replacement = value(await pool.run(job('pid', 'import os\ndef pid():\n    return os.getpid()\n')));
    assert.notEqual(replacement, pid, 'a new process runs the next task');
  });

  it('.run() - a process killed from outside (as the kernel\'s OOM killer does) fails its task with WorkerCrashed', async () => {
    const pid = value(await pool.run(job('pid', 'import os\ndef pid():\n    return os.getpid()\n'))) as number;
    const signal = await startSignal();
    try {
      const sleeping = pool.run(job('nap', `import time\n${SIGNAL}def nap(port):\n    signal_start(port)\n    time.sleep(30)\n`, [signal.port]));
      await signal.started(sleeping);
      process.kill(pid, 'SIGKILL');
      const remote = error(await sleeping);
      assert.equal(remote.name, 'WorkerCrashed');
      assert.match(remote.message, /killed by SIGKILL/);
    } finally {
      await signal.close();
    }
    assert.equal(value(await pool.run(job('fine', 'def fine(x):\n    return x\n', [1]))), 1);
  });

  it('.run() - exhausting memory fails the task with MemoryError, and a fresh process takes the next', async () => {
    const remote = error(await pool.run(job('hog', 'def hog():\n    hog = []\n    while True:\n        hog.append(bytearray(50_000_000))\n')));
    assert.equal(remote.name, 'MemoryError');
    assert.equal(value(await pool.run(job('fine', 'def fine(x):\n    return x\n', [5]))), 5);
  });

  it('.run() - names what it cannot load', async () => {
    const missing = error(await pool.run(job('nope', 'def other():\n    pass\n')));
    assert.match(missing.message, /does not define 'nope'/);
    const syntax = error(await pool.run(job('broken', 'def broken(:\n')));
    assert.equal(syntax.name, 'SyntaxError');
    const loading = error(await pool.run(job('late', 'import math\nvalue = undefined_name\ndef late():\n    pass\n')));
    assert.equal(loading.name, 'NameError');
    assert.match(loading.stack, /File "<python function late>", line 2, in <module>\n\s+value = undefined_name/, 'the source\'s own line, not the worker\'s');
    assert.doesNotMatch(loading.stack, /worker\.py/);
  });

  it('.run() - without Python, a Python task fails at once with PythonUnavailable', async () => {
    const none = new PythonPool({ python: await findPython('/nonexistent/python3'), workers: 1 });
    assert.equal(none.size, 0);
    const remote = error(await none.run(job('f', 'def f():\n    pass\n')));
    assert.equal(remote.name, 'PythonUnavailable');
    assert.match(remote.message, /\/nonexistent\/python3: not found/);
    await none.close();
  });
});
