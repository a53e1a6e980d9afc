import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { startCli, type CliProcess } from '../support/cli.js';
import { until } from '../support/until.js';

/** A value no log line may carry: it travels in every task's arguments. */
const PAYLOAD_MARKER = 'payload-marker-7f3a9c1e';

interface LogLine { level: number; msg: string; reqId?: string; component?: string; endpointId?: string; taskGroupId?: string; taskIds?: string[]; req?: { url?: string } }

function jsonLines(text: string): LogLine[] {
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as LogLine);
}

describe('logs of a real run: funcx-rx serve and funcx-rx endpoint at trace level', () => {
  let serve: CliProcess;
  let endpoint: CliProcess;
  let secret: string;
  let endpointId: string;
  let groupId: string;
  let taskIds: string[];
  let endpointStdout = '';

  before(async () => {
    // trace: the most a line can carry; FUNCX_LOG_FORMAT=json though stderr is a pipe anyway.
    serve = await startCli(['serve', '--json', '--workers', '1'], { FUNCX_LOG_LEVEL: 'trace' });
    const { url, token } = serve.info as { url: string; token: string };
    const registered = await fetch(`${url}/v2/endpoints`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ endpoint_name: 'second' }) });
    ({ endpoint_id: endpointId, secret } = (await registered.json()) as { endpoint_id: string; secret: string });
    endpoint = await startCli(['endpoint', '--service', url, '--endpoint-id', endpointId, '--workers', '1', '--log-level', 'trace'], { FUNCX_ENDPOINT_SECRET: secret });
    endpointStdout = `${endpoint.info.line ?? ''}\n`;
    endpoint.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (endpointStdout += chunk));
    const client = new FuncXClient({ serviceUrl: url, token, asynchronous: true });
    const functionId = await client.registerFunction({ name: 'echo', source: '(s) => s.length' });
    const results = await Promise.all([1, 2, 3].map((i) => client.run({ functionId, endpointId }, `${PAYLOAD_MARKER}-${i}`)));
    assert.deepEqual(results, [PAYLOAD_MARKER.length + 2, PAYLOAD_MARKER.length + 2, PAYLOAD_MARKER.length + 2]);
    groupId = client.taskGroupId;
    const listed = await fetch(`${url}/v2/task_groups/${groupId}/tasks`, { headers: { authorization: `Bearer ${token}` } });
    taskIds = ((await listed.json()) as { task_ids: string[] }).task_ids;
    await client.close();
    // A request with its own id, and one with the token in its query (as a browser may send it).
    const tagged = await fetch(`${url}/v2/version?access_token=${token}`, { headers: { 'x-request-id': 'ops-request-1' } });
    assert.equal(tagged.headers.get('x-request-id'), 'ops-request-1', 'the id goes back in the answer');
    await until(() => serve.stderr().includes('"reqId":"ops-request-1","res"'), 'the tagged request to be logged as completed');
    await endpoint.stop();
    await serve.stop();
  });

  after(async () => {
    await endpoint?.stop();
    await serve?.stop();
  });

  it('should never write the token, the endpoint secret or a payload, on any stream of either process', () => {
    const { token } = serve.info as { token: string };
    const outputs = { 'serve stderr': serve.stderr(), 'endpoint stderr': endpoint.stderr(), 'endpoint stdout': endpointStdout };
    assert.ok(outputs['serve stderr'].length > 2000, 'trace level wrote plenty');
    for (const [name, text] of Object.entries(outputs)) {
      assert.ok(!text.includes(token), `${name} holds the token`);
      assert.ok(!text.includes(secret), `${name} holds the endpoint secret`);
      assert.ok(!text.includes(PAYLOAD_MARKER), `${name} holds a task's arguments`);
    }
    const query = jsonLines(serve.stderr()).find((line) => line.reqId === 'ops-request-1' && line.req !== undefined);
    assert.equal(query?.req?.url, '/v2/version?access_token=[redacted]');
  });

  it('should write JSON lines with the request id on each line a request causes, and task and endpoint ids where they matter', () => {
    const lines = jsonLines(serve.stderr());
    const tagged = lines.filter((line) => line.reqId === 'ops-request-1').map((line) => line.msg);
    assert.deepEqual(tagged, ['incoming request', 'request completed']);
    const submitted = lines.find((line) => line.msg === 'task ids submitted');
    assert.ok(submitted?.reqId, 'the submit line carries its request id');
    assert.equal(submitted.taskGroupId, groupId);
    assert.deepEqual(new Set(lines.filter((line) => line.msg === 'task ids submitted').flatMap((line) => line.taskIds)), new Set(taskIds));
    assert.ok(lines.some((line) => line.msg === 'endpoint connected' && line.endpointId === endpointId), 'the hub names the endpoint');
  });
});

describe('funcx-rx serve --log-level', () => {
  it('should log nothing at silent, and refuse a level pino does not have', async () => {
    const quiet = await startCli(['serve', '--json', '--workers', '1', '--log-level', 'silent']);
    await fetch(`${quiet.info.url}/v2/version`);
    await quiet.stop();
    assert.equal(quiet.stderr(), '');
    const wrong = await import('node:child_process').then(({ spawn }) => spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'serve', '--log-level', 'loud'], { cwd: new URL('../..', import.meta.url), stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    wrong.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const [code] = (await once(wrong, 'exit')) as [number];
    assert.notEqual(code, 0);
    assert.match(stderr, /Allowed choices are fatal, error, warn, info, debug, trace, silent/);
  });
});
