import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chaosRun } from '../support/chaosRun.js';

describe('chaos', () => {
  it('should settle 10,000 tasks exactly once while result sockets drop every 200 ms and the endpoint drops twice', async () => {
    const report = await chaosRun({ tasks: 10_000, faults: true, dropEveryMs: 200 });
    assert.equal(report.lost, 0);
    assert.equal(report.duplicates, 0);
    assert.equal(report.wrong, 0);
    assert.ok(report.resultSocketDrops >= 1, `result sockets were dropped: ${JSON.stringify(report)}`);
    assert.equal(report.endpointDrops, 2, `the endpoint was dropped twice: ${JSON.stringify(report)}`);
  });
});
