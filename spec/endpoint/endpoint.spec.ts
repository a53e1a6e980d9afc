import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '../support/until.js';
import { v4 as uuidv4 } from 'uuid';
import { Endpoint } from '../../lib/endpoint/Endpoint.js';
import { EndpointAuthError } from '../../lib/endpoint/EndpointAuthError.js';
import { FuncXService } from '../../lib/service/FuncXService.js';
import { call, registerFunction, task } from '../support/rawApi.js';

let gates = 0;

/**
 * Holds the tasks that meet it, on a BroadcastChannel its worker threads share with this one:
 * each task posts `started`, and goes on when it hears `open`, which a task that starts after the
 * gate opened is sent at once.
 */
class Gate {
  readonly name = `endpoint.spec gate ${gates++}`;
  readonly #channel = new BroadcastChannel(this.name);
  #started = 0;
  #opened = false;
  #wake: (() => void) | null = null;

  constructor() {
    this.#channel.onmessage = (event) => {
      if (event.data !== 'started') return;
      this.#started++;
      if (this.#opened) this.#channel.postMessage('open');
      this.#wake?.();
    };
  }

  /** Resolves once `count` tasks have started. */
  async started(count: number): Promise<void> {
    while (this.#started < count) await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#wake = null;
  }

  open(): void {
    this.#opened = true;
    this.#channel.postMessage('open');
  }

  close(): void {
    this.#channel.close();
  }
}

describe('Endpoint against a real service', () => {
  let service: FuncXService;
  let alice: { userId: string; token: string };
  before(async () => {
    service = await FuncXService.start();
    alice = await service.issueToken();
  });
  after(() => service.close());

  const status = async (id: string): Promise<string> => (await call(service.url, 'GET', `/v2/tasks/${id}`, { token: alice.token })).body.status;

  it('.start() - rejects wrong credentials with EndpointAuthError', async () => {
    const { endpointId } = await service.registerEndpoint(alice.userId);
    await assert.rejects(Endpoint.start({ serviceUrl: service.url, endpointId, secret: 'wrong', workers: 1 }), (e: unknown) => e instanceof EndpointAuthError && e.status === 403);
  });

  it('runs tasks, reports running, and queues beyond its workers', async () => {
    const { endpointId, secret } = await service.registerEndpoint(alice.userId);
    const endpoint = await Endpoint.start({ serviceUrl: service.url, endpointId, secret, workers: 1 });
    try {
      const fn = await registerFunction(service.url, alice.token, async (ms: number) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return ms;
      });
      const ids = [uuidv4(), uuidv4()];
      await call(service.url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(fn, endpointId, [300], ids[0]), task(fn, endpointId, [10], ids[1])] } });
      await until(async () => (await status(ids[0]!)) === 'running', 'the first task to run');
      assert.equal(await status(ids[1]!), 'waiting-for-launch', 'the second waits for the only worker');
      await until(async () => (await status(ids[1]!)) === 'success', 'both to finish');
      assert.equal(await status(ids[0]!), 'success');
    } finally {
      await endpoint.close();
    }
  });

  it('cancellation stops a running infinite loop and the worker serves the next task', async () => {
    const { endpointId, secret } = await service.registerEndpoint(alice.userId);
    const endpoint = await Endpoint.start({ serviceUrl: service.url, endpointId, secret, workers: 1 });
    try {
      const spin = await registerFunction(service.url, alice.token, () => { for (;;) { /* spin */ } });
      const echo = await registerFunction(service.url, alice.token, (x: string) => x);
      const loop = uuidv4();
      const next = uuidv4();
      await call(service.url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: [task(spin, endpointId, [], loop), task(echo, endpointId, ['after'], next)] } });
      await until(async () => (await status(loop)) === 'running', 'the loop to run');
      await call(service.url, 'POST', `/v2/tasks/${loop}/cancel`, { token: alice.token });
      await until(async () => (await status(next)) === 'success', 'the next task to run on the freed worker');
      assert.equal(await status(loop), 'cancelled');
      assert.equal(endpoint.load.running, 0);
    } finally {
      await endpoint.close();
    }
  });

  it('reconnects after its connection drops and loses no task', async () => {
    const { endpointId, secret } = await service.registerEndpoint(alice.userId);
    const endpoint = await Endpoint.start({ serviceUrl: service.url, endpointId, secret, workers: 2, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
    const gate = new Gate();
    try {
      // Each task tells the gate it started, then runs on only once the gate opens.
      const fn = await registerFunction(service.url, alice.token, async (x: number, name: string) => {
        const { BroadcastChannel } = await import('node:worker_threads');
        const channel = new BroadcastChannel(name);
        await new Promise<void>((resolve) => {
          channel.onmessage = (event) => event.data === 'open' && resolve();
          channel.postMessage('started');
        });
        channel.close();
        return x;
      });
      const ids = Array.from({ length: 10 }, () => uuidv4());
      await call(service.url, 'POST', '/v2/submit', { token: alice.token, body: { tasks: ids.map((id, i) => task(fn, endpointId, [i, gate.name], id)) } });
      // Tasks are running, and stay so through both drops.
      await gate.started(1);
      service.dropEndpointSockets();
      await until(() => endpoint.connections >= 2, 'the endpoint to reconnect');
      service.dropEndpointSockets();
      gate.open();
      await until(async () => (await Promise.all(ids.map(status))).every((s) => s === 'success'), 'every task to succeed');
      assert.ok(endpoint.connections >= 2, `reconnected (${endpoint.connections} connections)`);
    } finally {
      gate.close();
      await endpoint.close();
    }
  });
});
