import { once } from 'node:events';
import WebSocket from 'ws';
import { pack } from '../../lib/serialize/pack.js';
import { packPayload, serializeFunction } from '../../lib/serialize/serialize.js';

/** A raw answer: status and parsed JSON body. */
export interface Raw {
  readonly status: number;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The answer's headers, by lower-case name. */
  readonly headers: Record<string, string>;
}

/** Calls the service with plain fetch, so specs see exactly what goes over the wire. */
export async function call(url: string, method: string, path: string, options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<Raw> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text), headers: Object.fromEntries(response.headers) };
}

/** Registers a function over HTTP and returns its id. */
export async function registerFunction(url: string, token: string, fn: (...args: never[]) => unknown): Promise<string> {
  const answer = await call(url, 'POST', '/v2/functions', {
    token,
    body: { function_name: fn.name || 'f', entry_point: fn.name || 'f', function_code: pack([serializeFunction(fn)]), function_source: String(fn), description: '' },
  });
  return answer.body.function_uuid as string;
}

/** A task tuple for `POST /v2/submit`. */
export function task(functionId: string, endpointId: string, args: unknown[], taskId?: string): string[] {
  const payload = packPayload(args);
  return taskId === undefined ? [functionId, endpointId, payload] : [functionId, endpointId, payload, taskId];
}

/** A WebSocket whose incoming frames are collected, with a way to await the next ones. */
export class FrameCollector {
  readonly frames: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Each WebSocket frame as it came, before arrays are flattened into `frames`. */
  readonly raw: string[] = [];
  readonly #waiters: (() => void)[] = [];
  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.raw.push(String(data));
      const parsed = JSON.parse(String(data));
      for (const item of Array.isArray(parsed) ? parsed : [parsed]) this.frames.push(item);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<FrameCollector> {
    const socket = new WebSocket(url, { headers });
    const collector = new FrameCollector(socket);
    await once(socket, 'open');
    return collector;
  }

  /** Waits until `predicate` holds for the collected frames (or fails after `ms`). */
  async until(predicate: (frames: any[]) => boolean, ms = 5000): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const deadline = Date.now() + ms;
    while (!predicate(this.frames)) {
      if (Date.now() > deadline) throw new Error(`Timed out; frames so far: ${JSON.stringify(this.frames).slice(0, 500)}`);
      await Promise.race([new Promise<void>((resolve) => this.#waiters.push(resolve)), new Promise((resolve) => setTimeout(resolve, 50))]);
    }
  }

  send(data: unknown): void {
    this.socket.send(typeof data === 'string' ? data : JSON.stringify(data));
  }

  /**
   * A ping and its pong: the peer answers a ping once it has read every frame before it, and its
   * pong comes behind whatever it had written by then. So once this resolves, every frame the
   * peer sent before it read the ping is in `frames`.
   */
  async roundTrip(): Promise<void> {
    const pong = once(this.socket, 'pong');
    this.socket.ping();
    await pong;
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.terminate();
    await once(this.socket, 'close');
  }
}

/** The handshake status a WebSocket upgrade was refused with. */
export async function handshakeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  const socket = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    socket.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('open', () => {
      socket.terminate();
      reject(new Error('the handshake was accepted'));
    });
    socket.on('error', () => {});
  });
}
