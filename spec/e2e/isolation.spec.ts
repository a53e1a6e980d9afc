import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { TaskExecutionFailed } from '../../lib/errors/TaskExecutionFailed.js';
import { FuncXExecutor } from '../../lib/executor/FuncXExecutor.js';
import { startLocalService, type LocalService } from '../../lib/local/startLocalService.js';
import { until } from '../support/until.js';

/**
 * Counts the places in its own process's memory where `head` is directly followed by `tail`,
 * reading every readable mapping through /proc/self/mem. Self-contained: it runs as a remote
 * function. The needle is given in two halves so that the search itself never holds the whole
 * string in one piece.
 */
async function countInOwnMemory(head: string, tail: string): Promise<number> {
  const { openSync, readSync, readFileSync, closeSync } = await import('node:fs');
  // Not Buffer.from: small buffers share a pool, where the two halves would sit side by side.
  const first = Buffer.alloc(head.length, head, 'latin1');
  const second = Buffer.alloc(tail.length, tail, 'latin1');
  const maps = readFileSync('/proc/self/maps', 'utf8').split('\n');
  const fd = openSync('/proc/self/mem', 'r');
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  let found = 0;
  try {
    for (const line of maps) {
      const match = /^([0-9a-f]+)-([0-9a-f]+) r/.exec(line);
      if (match === null) continue;
      const start = parseInt(match[1]!, 16);
      const end = parseInt(match[2]!, 16);
      // Chunks overlap by the needle's length, so a match across a chunk border is found once.
      const overlap = first.length + second.length;
      const step = chunk.length - overlap;
      for (let at = start; at < end; at += step) {
        let read = 0;
        try {
          read = readSync(fd, chunk, 0, Math.min(chunk.length, end - at), at);
        } catch {
          break; // an unreadable mapping ([vvar] and the like)
        }
        const view = chunk.subarray(0, read);
        for (let i = view.indexOf(first); i !== -1; i = view.indexOf(first, i + 1)) {
          const last = at + read >= end;
          // A match from `step` on is also in the next chunk, and counted there.
          if ((i < step || last) && i + overlap <= read && view.subarray(i + first.length, i + overlap).equals(second)) found++;
        }
        if (at + read >= end) break;
      }
    }
  } finally {
    closeSync(fd);
  }
  return found;
}

describe('the local endpoint runs functions in its own process', () => {
  let local: LocalService;
  let fxc: FuncXClient;
  let executor: FuncXExecutor;
  before(async () => {
    local = await startLocalService({ workers: 2 });
    fxc = new FuncXClient({ serviceUrl: local.url, token: local.token });
    executor = new FuncXExecutor(fxc, { endpointId: local.endpointId });
  });
  after(async () => {
    await executor.shutdown();
    await local.stop();
  });

  it('a function runs in another process than the service', async () => {
    const pid = await executor.submit(() => process.pid);
    assert.equal(typeof pid, 'number');
    assert.notEqual(pid, process.pid);
    assert.equal(pid, local.endpoint.pid);
  });

  it('a function cannot find another user\'s token in its memory, which the service\'s memory holds', async () => {
    const bob = await local.service.issueToken();
    const half = bob.token.length >> 1;
    const [head, tail] = [bob.token.slice(0, half), bob.token.slice(half)];
    // The control: the same search in the service's process finds the token, so the search works.
    const inService = await countInOwnMemory(head, tail);
    assert.ok(inService >= 1, `the search finds the token in the service's process (${inService} times)`);
    assert.equal(await executor.submit(countInOwnMemory, head, tail), 0);
    // And in the endpoint's process it finds what that process does hold: its own endpoint id.
    const id = local.endpointId;
    const inEndpoint = await executor.submit(countInOwnMemory, id.slice(0, 18), id.slice(18));
    assert.ok(inEndpoint >= 1, `the search finds the endpoint id in the endpoint's process (${inEndpoint} times)`);
  });

  it('a function that kills its process does not stop the service; the endpoint comes back and runs further tasks', async () => {
    const before = local.endpoint.pid;
    await assert.rejects(
      async () => executor.submit(() => process.kill(process.pid, 'SIGKILL')),
      (error: unknown) => error instanceof TaskExecutionFailed && error.remoteName === 'WorkerCrashed' && /SIGKILL/.test(error.remoteMessage),
    );
    assert.equal((await fetch(`${local.url}/v2/version`)).status, 200, 'the service still answers');
    await until(() => local.endpoint.ready, 'the endpoint process to be restarted');
    assert.equal(local.endpoint.restarts, 1);
    assert.notEqual(local.endpoint.pid, before);
    assert.deepEqual(await Promise.all([1, 2, 3].map((x) => executor.submit((y: number) => y * 10, x))), [10, 20, 30]);
  });
});
