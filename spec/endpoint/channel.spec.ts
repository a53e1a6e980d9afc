import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { Endpoint } from '../../lib/endpoint/Endpoint.js';
import { FRAME_LIMIT_BYTES } from '../../lib/protocol/endpointChannel.js';
import { pack } from '../../lib/serialize/pack.js';
import { deserialize, deserializeError, packPayload, serializeFunction } from '../../lib/serialize/serialize.js';
import { until } from '../support/until.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * A stand-in service: a real WebSocket server on port 0 that accepts any endpoint, records every
 * message and frame size the endpoint sends, and answers `get_function` from its own table.
 */
class FakeService {
  readonly received: any[] = [];
  readonly frameSizes: number[] = [];
  readonly functions = new Map<string, string>();
  /** Function ids answered with an error instead of code. */
  readonly refuse = new Set<string>();
  socket: WebSocket | null = null;
  connections = 0;
  /** While set, handshakes are refused with 503, which an endpoint retries. */
  refuseConnections = false;
  readonly #server: WebSocketServer;

  constructor() {
    this.#server = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      maxPayload: 64 * 1024 * 1024,
      verifyClient: (_info, done) => (this.refuseConnections ? done(false, 503) : done(true)),
    });
    this.#server.on('connection', (socket) => {
      this.socket = socket;
      this.connections++;
      socket.on('error', () => {});
      socket.on('message', (data) => {
        const text = String(data);
        this.frameSizes.push(Buffer.byteLength(text));
        const parsed = JSON.parse(text) as any;
        for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
          this.received.push(message);
          if (message.type !== 'get_function') continue;
          const code = this.functions.get(message.function_id);
          socket.send(JSON.stringify([this.refuse.has(message.function_id) || code === undefined ? { type: 'function', function_id: message.function_id, error: 'no such function here' } : { type: 'function', function_id: message.function_id, function_code: code }]));
        }
      });
    });
  }

  async listening(): Promise<string> {
    await once(this.#server, 'listening');
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  sendTasks(tasks: { id: string; fn: string; args: unknown[] }[]): void {
    this.socket!.send(JSON.stringify(tasks.map((t) => ({ type: 'task', task_id: t.id, function_id: t.fn, payload: packPayload(t.args) }))));
  }

  asked(functionId: string): number {
    return this.received.filter((m) => m.type === 'get_function' && m.function_id === functionId).length;
  }

  result(taskId: string): any {
    return this.received.find((m) => m.type === 'result' && m.task_id === taskId);
  }

  async waitResults(ids: string[]): Promise<any[]> {
    await until(() => ids.every((id) => this.result(id) !== undefined), `results of ${ids.join(', ')}`);
    return ids.map((id) => this.result(id));
  }

  async close(): Promise<void> {
    for (const client of this.#server.clients) client.terminate();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

const code = (fn: (...args: never[]) => unknown): string => pack([serializeFunction(fn)]);

describe('Endpoint - the channel: function cache, result limit, frame sizes', () => {
  let service: FakeService;
  let serviceUrl: string;
  before(async () => {
    service = new FakeService();
    serviceUrl = await service.listening();
  });
  after(() => service.close());

  it('asks for a function once, runs the tasks that waited for it, and asks again only on a new connection it lacks', async () => {
    service.functions.set('double', code((x: number) => x * 2));
    service.functions.set('negate', code((x: number) => -x));
    const endpoint = await Endpoint.start({ serviceUrl, endpointId: 'e1', secret: 's', workers: 2, functionCache: { maxFunctions: 1 }, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
    try {
      service.sendTasks([1, 2, 3].map((x) => ({ id: `d${x}`, fn: 'double', args: [x] })));
      const results = await service.waitResults(['d1', 'd2', 'd3']);
      assert.deepEqual(results.map((r) => deserialize(r.result)), [2, 4, 6]);
      assert.equal(service.asked('double'), 1, 'three tasks, one request');

      // Kept across a reconnect: the new connection's tasks need no request.
      const connections = service.connections;
      service.socket!.terminate();
      await until(() => service.connections > connections && endpoint.connected, 'the endpoint to reconnect');
      service.sendTasks([{ id: 'd4', fn: 'double', args: [4] }]);
      assert.equal(deserialize((await service.waitResults(['d4']))[0].result), 8);
      assert.equal(service.asked('double'), 1, 'the cached code is used');

      // maxFunctions 1: a second function pushes the first out, which is then asked for again.
      service.sendTasks([{ id: 'n1', fn: 'negate', args: [5] }]);
      assert.equal(deserialize((await service.waitResults(['n1']))[0].result), -5);
      service.sendTasks([{ id: 'd5', fn: 'double', args: [5] }]);
      assert.equal(deserialize((await service.waitResults(['d5']))[0].result), 10);
      assert.equal(service.asked('double'), 2);
      assert.equal(endpoint.cachedFunctions, 1);
    } finally {
      await endpoint.close();
    }
  });

  it('fails the waiting tasks when the service cannot give their function', async () => {
    service.refuse.add('gone');
    const endpoint = await Endpoint.start({ serviceUrl, endpointId: 'e2', secret: 's', workers: 1 });
    try {
      service.sendTasks([{ id: 'g1', fn: 'gone', args: [] }, { id: 'g2', fn: 'gone', args: [] }]);
      const results = await service.waitResults(['g1', 'g2']);
      for (const r of results) {
        const error = deserializeError(r.exception);
        assert.equal(error.name, 'FunctionUnavailable');
        assert.equal(error.message, 'no such function here');
      }
      assert.equal(endpoint.load.queued, 0);
    } finally {
      await endpoint.close();
    }
  });

  it('fails a task whose result is over maxResultBytes with ResultTooLarge, and goes on', async () => {
    service.functions.set('repeat', code((n: number) => 'x'.repeat(n)));
    const endpoint = await Endpoint.start({ serviceUrl, endpointId: 'e3', secret: 's', workers: 1, maxResultBytes: 1000 });
    try {
      service.sendTasks([{ id: 'big', fn: 'repeat', args: [2000] }, { id: 'small', fn: 'repeat', args: [10] }]);
      const [big, small] = await service.waitResults(['big', 'small']);
      assert.equal(big.result, undefined);
      const error = deserializeError(big.exception);
      assert.equal(error.name, 'ResultTooLarge');
      assert.match(error.message, /^The task's result is 200\d bytes serialized, over the result limit of 1000 bytes$/);
      assert.equal(deserialize(small.result), 'x'.repeat(10));
    } finally {
      await endpoint.close();
    }
  });

  it('refuses a result limit over what a frame can carry', async () => {
    await assert.rejects(Endpoint.start({ serviceUrl, endpointId: 'e4', secret: 's', maxResultBytes: 40 * 1024 * 1024 }), /Expected `maxResultBytes` to be a whole number from 1 to 33554432/);
  });

  it('splits what it sends into frames of at most FRAME_LIMIT_BYTES', async () => {
    service.functions.set('large', code(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 'y'.repeat(400_000);
    }));
    const endpoint = await Endpoint.start({ serviceUrl, endpointId: 'e5', secret: 's', workers: 3, reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
    try {
      service.sendTasks([1, 2, 3].map((x) => ({ id: `e${x}`, fn: 'large', args: [] })));
      await until(() => service.received.filter((m) => m.type === 'status' && m.status === 'running' && /^e\d$/.test(m.task_id)).length === 3, 'the three tasks to run');
      const before = service.frameSizes.length;
      // Cut off until the three results are made, so that they go out together.
      service.refuseConnections = true;
      service.socket!.terminate();
      await until(() => endpoint.load.running === 0, 'the three tasks to end');
      assert.equal(endpoint.connected, false);
      service.refuseConnections = false;
      const results = await service.waitResults(['e1', 'e2', 'e3']);
      assert.ok(results.every((r) => deserialize(r.result) === 'y'.repeat(400_000)));
      const sizes = service.frameSizes.slice(before);
      assert.ok(sizes.every((size) => size <= FRAME_LIMIT_BYTES), `frame sizes ${sizes.join(', ')}`);
      assert.equal(sizes.filter((size) => size > 400_000).length, 2, `three 0.4 MB results take two 1 MiB frames: ${sizes.join(', ')}`);
    } finally {
      await endpoint.close();
    }
  });
});
