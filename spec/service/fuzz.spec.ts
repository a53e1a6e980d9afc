import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { v4 as uuidv4 } from 'uuid';
import WebSocket from 'ws';
import { call, registerFunction, task } from '../support/rawApi.js';
import { rawExchange } from '../support/rawHttp.js';
import { Random, fuzzFrame, fuzzRaw, fuzzRequest, type FuzzWorld } from '../support/fuzzInputs.js';
import { startServiceProcess, type ServiceProcess } from '../support/serviceProcess.js';

// Seeded and bounded: FUZZ_SEED replays a run, FUZZ_COUNT sets its size (bench runs larger ones).
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const COUNT = Number(process.env.FUZZ_COUNT ?? 10_000);
const IN_FLIGHT = 24;
const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Methods whose body Node's client sends unframed (no Content-Length, no chunking) unless told its length. */
const UNFRAMED_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);
/** An answer slower than this is a hang. */
const HANG_MS = 10_000;

interface Tally {
  inputs: number;
  answers: Record<string, number>;
  serverErrors: string[];
  notEnvelopes: string[];
  hangs: string[];
  socketsReopened: number;
  resent: number;
  cutOversize: number;
  cutUnframed: number;
  socketsRefused: number;
}

function checkAnswer(tally: Tally, what: string, status: number, contentType: string | undefined, body: string, head = false): void {
  tally.answers[status] = (tally.answers[status] ?? 0) + 1;
  if (status >= 500 || status === 0) tally.serverErrors.push(`${status} for ${what}: ${body.slice(0, 200)}`);
  if (status < 400 || head) return;
  try {
    const parsed = JSON.parse(body) as { status?: unknown; code?: unknown; reason?: unknown; error_args?: unknown; http_status_code?: unknown };
    const ok = /application\/json/.test(contentType ?? '') && parsed.status === 'Failed' && typeof parsed.code === 'number' && typeof parsed.reason === 'string' && Array.isArray(parsed.error_args) && parsed.http_status_code === status;
    if (!ok) tally.notEnvelopes.push(`${status} for ${what}: ${body.slice(0, 200)}`);
  } catch {
    tally.notEnvelopes.push(`${status} (not JSON) for ${what}: ${body.slice(0, 200)}`);
  }
}

describe('service fuzz - mutated requests, raw bytes, upgrades and frames', () => {
  let service: ServiceProcess;
  let world: FuzzWorld & { secret: string };
  before(async () => {
    service = await startServiceProcess({ headersTimeoutMs: 1000, rateLimit: { max: 1_000_000, windowMs: 1000 }, maxTasksPerSubmit: 5000, maxBodyBytes: MAX_BODY_BYTES });
    const functionId = await registerFunction(service.url, service.token, (x: number) => x);
    const groupId = uuidv4();
    const taskIds = Array.from({ length: 20 }, () => uuidv4());
    await call(service.url, 'POST', '/v2/submit', { token: service.token, body: { task_group_id: groupId, tasks: taskIds.map((id) => task(functionId, service.endpointId, [1], id)) } });
    world = { token: service.token, functionId, endpointId: service.endpointId, taskIds, groupId, secret: service.secret };
  });
  after(() => service.stop());

  it(`${COUNT} inputs (seed ${SEED}): no crash, no 5xx, no hang, every error an envelope`, async (t) => {
    const r = new Random(SEED);
    const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const tally: Tally = { inputs: 0, answers: {}, serverErrors: [], notEnvelopes: [], hangs: [], socketsReopened: 0, resent: 0, cutOversize: 0, cutUnframed: 0, socketsRefused: 0 };
    const wsBase = service.url.replace('http', 'ws');
    const sockets: Record<'results' | 'endpoint', WebSocket | null> = { results: null, endpoint: null };
    const openSocket = async (kind: 'results' | 'endpoint'): Promise<WebSocket> => {
      const current = sockets[kind];
      if (current !== null && current.readyState === WebSocket.OPEN) return current;
      if (current !== null) tally.socketsReopened++;
      const socket = kind === 'results'
        ? new WebSocket(`${wsBase}/ws/v2/`, { headers: { authorization: `Bearer ${world.token}` } })
        : new WebSocket(`${wsBase}/ws/v2/endpoints/${world.endpointId}`, { headers: { authorization: `Bearer ${world.secret}` } });
      sockets[kind] = socket;
      // once() rejects on 'error' (a refused handshake); 'unexpected-response' is followed by one.
      await once(socket, 'open');
      socket.on('error', () => {});
      return socket;
    };

    const one = async (): Promise<void> => {
      const roll = r.next();
      if (roll < 0.8) {
        const input = fuzzRequest(r, world);
        const what = `${input.method} ${input.path.slice(0, 120)} (${input.body?.length ?? 0} bytes, ${input.headers["content-type"] ?? "no type"}, ${input.headers.authorization?.slice(0, 12) ?? "no auth"})`;
        // A keep-alive socket the service closed as idle may be reused at that moment: like any
        // HTTP client (Node's docs, undici), send such a request again on a fresh connection.
        const send = (fresh: boolean): Promise<void> => new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            tally.hangs.push(what);
            req.destroy();
            resolve();
          }, HANG_MS);
          const req = httpRequest(`${service.url}${input.path}`, { method: input.method, headers: input.headers, agent: fresh ? false : agent }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              clearTimeout(timer);
              checkAnswer(tally, what, res.statusCode ?? 0, res.headers['content-type'], Buffer.concat(chunks).toString(), input.method === 'HEAD');
              resolve();
            });
            res.on('error', () => {
              clearTimeout(timer);
              tally.serverErrors.push(`response broken for ${what}`);
              resolve();
            });
          });
          req.on('error', (error) => {
            clearTimeout(timer);
            const code = (error as NodeJS.ErrnoException).code;
            const cut = code === 'ECONNRESET' || code === 'EPIPE';
            // On a reused socket the service may have closed as idle, Node's parser can also see
            // the bytes of that close (a HEAD that gets the 408 the idle connection was sent): the
            // same race, sent again the same way.
            if (!fresh && req.reusedSocket && (cut || code === 'HPE_CLOSED_CONNECTION')) {
              tally.resent++;
              void send(true).then(resolve);
              return;
            }
            // A body over the limit is answered 413 from its Content-Length and the connection
            // closed at once, rather than read: a client still writing it sees the cut.
            if (cut && (input.body?.length ?? 0) > MAX_BODY_BYTES) {
              tally.cutOversize++;
              resolve();
              return;
            }
            // Node frames no body of a GET, HEAD, DELETE or OPTIONS without a Content-Length: it
            // sends the bytes until it closes. The service reads them as the next request, answers
            // 400 (HPE_INVALID_METHOD) and closes, while this client still writes them.
            if (cut && input.body !== undefined && input.headers['content-length'] === undefined && UNFRAMED_METHODS.has(input.method)) {
              tally.cutUnframed++;
              resolve();
              return;
            }
            tally.serverErrors.push(`${code ?? error.message} for ${what}`);
            resolve();
          });
          req.end(input.body);
        });
        await send(false);
      } else if (roll < 0.92) {
        const bytes = fuzzRaw(r, world);
        const what = `raw ${JSON.stringify(String(bytes).slice(0, 100))}`;
        try {
          const answer = await rawExchange(service.url, bytes, HANG_MS);
          if (answer.status === 101) return; // a valid handshake: the socket opened (and is closed now)
          checkAnswer(tally, what, answer.status, answer.headers['content-type'], answer.body);
        } catch {
          tally.hangs.push(what);
        }
      } else {
        const frame = fuzzFrame(r, world);
        const kind = r.chance(0.5) ? 'results' : 'endpoint';
        try {
          (await openSocket(kind)).send(frame);
        } catch {
          // Refused (a per-user socket cap is an envelope answer, counted by the raw upgrades too):
          // the frame is skipped, and the next one opens a socket again.
          tally.socketsRefused++;
          sockets[kind] = null;
        }
      }
    };

    let next = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < COUNT) {
        next++;
        tally.inputs++;
        await one();
      }
    }));
    agent.destroy();
    for (const socket of Object.values(sockets)) socket?.terminate();

    t.diagnostic(`inputs ${tally.inputs}, answers by status ${JSON.stringify(tally.answers)}, result/endpoint sockets reopened ${tally.socketsReopened}, resent on a fresh connection ${tally.resent}, oversized bodies cut ${tally.cutOversize}, unframed bodies cut ${tally.cutUnframed}, socket opens refused ${tally.socketsRefused}`);
    assert.ok(service.alive(), `the service process survived; stderr: ${service.stderr()}`);
    assert.equal((await call(service.url, 'GET', '/v2/health')).status, 200, 'and still answers');
    assert.deepEqual(tally.serverErrors.slice(0, 10), [], `${tally.serverErrors.length} 5xx or broken answers`);
    assert.deepEqual(tally.hangs.slice(0, 10), [], `${tally.hangs.length} hangs`);
    assert.deepEqual(tally.notEnvelopes.slice(0, 10), [], `${tally.notEnvelopes.length} error answers that are not envelopes`);
    assert.equal(tally.inputs, COUNT);
  });
});
