import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { v4 as uuidv4 } from 'uuid';
import { WebSocket } from 'ws';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { serialize } from '../../lib/serialize/serialize.js';
import { bearerSubprotocols } from '../../lib/transport/bearerSubprotocol.js';
import { FrameCollector, call, handshakeStatus, registerFunction, task } from '../support/rawApi.js';
import { until } from '../support/until.js';

const PAGE = 'http://127.0.0.1:4321';

/** Opens a socket the way a browser does: an Origin, and the token as a subprotocol. */
async function browserSocket(url: string, token: string, origin = PAGE): Promise<{ collector: FrameCollector; protocol: string }> {
  const socket = new WebSocket(url, bearerSubprotocols(token), { origin });
  const collector = new FrameCollector(socket);
  await once(socket, 'open');
  return { collector, protocol: socket.protocol };
}

describe('service - browser access (CORS, Origin, subprotocol auth, status replay)', () => {
  let service: FuncXService;
  let url: string;
  let wsUrl: string;
  let alice: { userId: string; token: string };

  before(async () => {
    service = await FuncXService.start({ cors: [PAGE] });
    url = service.url;
    wsUrl = `${url.replace('http', 'ws')}/ws/v2/`;
    alice = await service.issueToken();
  });
  after(() => service.close());

  it('cors - a preflight is answered 204 for an allowed origin, without a token', async () => {
    const answer = await fetch(`${url}/v2/submit`, {
      method: 'OPTIONS',
      headers: { origin: PAGE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    assert.equal(answer.status, 204);
    assert.equal(answer.headers.get('access-control-allow-origin'), PAGE);
    assert.match(answer.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.match(answer.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.equal(answer.headers.get('access-control-allow-credentials'), null, 'credentials are never allowed');
  });

  it('cors - errors carry Access-Control-Allow-Origin, so a page can read the envelope', async () => {
    const answer = await fetch(`${url}/v2/tasks/${uuidv4()}`, { headers: { origin: PAGE } });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers.get('access-control-allow-origin'), PAGE);
    assert.equal(((await answer.json()) as { code: number }).code, 1);
  });

  it('cors - another origin gets no CORS headers (the browser blocks it)', async () => {
    const preflight = await fetch(`${url}/v2/submit`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assert.ok(preflight.status < 500, `a refused preflight is no server error: ${preflight.status}`);
    const get = await fetch(`${url}/v2/version`, { headers: { origin: 'https://evil.example' } });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('access-control-allow-origin'), null);
  });

  it('cors - the allow-list is checked: no paths, no wildcard beside origins', async () => {
    await assert.rejects(FuncXService.start({ cors: ['http://localhost:4200/'] }), /Expected each `cors` entry to be an origin/);
    await assert.rejects(FuncXService.start({ cors: ['*', PAGE] }), /'\*' alone/);
    const any = await FuncXService.start({ cors: ['*'] });
    try {
      const answer = await fetch(`${any.url}/v2/version`, { headers: { origin: 'https://anywhere.example' } });
      assert.equal(answer.headers.get('access-control-allow-origin'), '*');
      assert.equal(answer.headers.get('access-control-allow-credentials'), null);
    } finally {
      await any.close();
    }
  });

  it('cors - a service without an allow-list answers no CORS and refuses browser sockets', async () => {
    const plain = await FuncXService.start();
    try {
      const answer = await fetch(`${plain.url}/v2/version`, { headers: { origin: PAGE } });
      assert.equal(answer.headers.get('access-control-allow-origin'), null);
      const { token } = await plain.issueToken();
      assert.equal(await handshakeStatus(`${plain.url.replace('http', 'ws')}/ws/v2/`, { origin: PAGE, authorization: `Bearer ${token}` }), 403);
    } finally {
      await plain.close();
    }
  });

  it('result socket - Origin checked against the allow-list; no Origin (Node) is not checked', async () => {
    assert.equal(await handshakeStatus(wsUrl, { origin: 'https://evil.example', authorization: `Bearer ${alice.token}` }), 403);
    const node = await FrameCollector.open(wsUrl, { authorization: `Bearer ${alice.token}` });
    await node.close();
  });

  it('result socket - the token as a subprotocol is accepted, and only funcx.v2 is echoed', async () => {
    const { collector, protocol } = await browserSocket(wsUrl, alice.token);
    assert.equal(protocol, 'funcx.v2');
    await collector.close();
    const [bearerOnly] = bearerSubprotocols('not-a-token');
    assert.equal(await handshakeStatus(wsUrl, { origin: PAGE, 'sec-websocket-protocol': `${bearerOnly}, funcx.v2` }), 401);
  });

  it('result socket - the access_token query parameter still works as a fallback', async () => {
    const viaQuery = await FrameCollector.open(`${wsUrl}?access_token=${encodeURIComponent(alice.token)}`, { origin: PAGE });
    await viaQuery.close();
  });

  it('statuses - subscribing with statuses replays the current status of unfinished tasks', async () => {
    const fn = await registerFunction(url, alice.token, (x: number) => x);
    const endpoint = await service.registerEndpoint(alice.userId);
    const ep = await FrameCollector.open(`${url.replace('http', 'ws')}/ws/v2/endpoints/${endpoint.endpointId}`, { authorization: `Bearer ${endpoint.secret}` });
    const [running, waiting] = [uuidv4(), uuidv4()];
    const group = uuidv4();
    const submitted = await call(url, 'POST', '/v2/submit', { token: alice.token, body: { task_group_id: group, tasks: [task(fn, endpoint.endpointId, [1], running), task(fn, endpoint.endpointId, [2], waiting)] } });
    assert.equal(submitted.status, 200);
    await ep.until((frames) => frames.filter((f) => f.type === 'task').length === 2);
    ep.send({ type: 'status', task_id: running, status: 'running' });
    await until(async () => (await call(url, 'GET', `/v2/tasks/${running}`, { token: alice.token })).body.status === 'running', 'the running status recorded');

    // Late: both tasks moved before this socket asked for statuses.
    const { collector: late } = await browserSocket(wsUrl, alice.token);
    late.send({ task_group_id: group, statuses: true });
    await late.until((frames) => frames.length >= 2);
    const statuses = Object.fromEntries(late.frames.filter((f) => f.type === 'status').map((f) => [f.task_id, f.status]));
    assert.deepEqual(statuses, { [running]: 'running', [waiting]: 'waiting-for-nodes' });

    // Finished tasks are not replayed as statuses: their result frame says it all.
    ep.send({ type: 'result', task_id: running, result: serialize(1) });
    await late.until((frames) => frames.some((f) => f.task_id === running && f.status === 'success'));
    const again = await browserSocket(wsUrl, alice.token);
    again.collector.send({ task_group_id: group, statuses: true });
    await again.collector.until((frames) => frames.length >= 1);
    // A subscribe's replay is written in one go; once its first frame is here, a pong comes
    // behind the rest of it (a replayed status of the finished task would be among them).
    await again.collector.roundTrip();
    assert.deepEqual(again.collector.frames.map((f) => [f.task_id, f.status]), [[waiting, 'waiting-for-nodes']]);
    await again.collector.close();
    await late.close();
    await ep.close();
  });
});
