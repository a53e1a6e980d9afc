import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SubmitRequest, SubmitResponse } from '../../lib/protocol/submit.js';
import type { ServerFrame } from '../../lib/protocol/task.js';

/** What the scripted service does with one submit: its HTTP answer, and frames to push first. */
export interface SubmitScript {
  readonly status?: number;
  readonly body?: unknown;
  /** Extra response headers, such as `retry-after`. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Frames delivered *before* the HTTP answer is written: the service waits until a socket has
   * subscribed the request's group, sends them there, and answers once they were read.
   */
  readonly framesBeforeAnswer?: readonly ServerFrame[];
  /** Frames sent right after the HTTP answer (held for the group's first subscriber if it has none yet). */
  readonly framesAfterAnswer?: readonly ServerFrame[];
}

/**
 * A real HTTP + WebSocket server on port 0 whose answers a test scripts, to drive the client
 * through cases a well-behaved service never produces on demand (a result before the submit
 * answer, duplicate frames, a failing post). Like the real service it routes a task's frames to
 * the sockets that subscribed its group, and holds them for the group's first subscriber when
 * none has yet (the client's socket may open after its post was answered).
 */
export class ScriptedService {
  readonly submits: SubmitRequest[] = [];
  /** When each submit arrived (epoch ms). */
  readonly submitTimes: number[] = [];
  readonly sockets = new Set<WebSocket>();
  readonly received: string[] = [];
  socketsOpened = 0;
  onSubmit: (request: SubmitRequest, index: number) => SubmitScript = (request) => ({ body: accept(request) });
  /** What `batch_status` answers for a submitted task (by default: still waiting). */
  recordOf: (taskId: string) => unknown = (taskId) => ({ task_id: taskId, status: 'waiting-for-ep', completion_t: null });
  /** How many `batch_status` requests came. */
  sweeps = 0;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  /** Each open socket's subscribed groups (deleted when it closes). */
  readonly #subscriptions = new Map<WebSocket, Set<string>>();
  /** Each submitted task's group. */
  readonly #groupOf = new Map<string, string>();
  /** Frames of groups no socket subscribed yet, delivered to (and deleted at) the first subscriber. */
  readonly #held = new Map<string, string[]>();
  /** Who waits for a group's first subscriber. */
  readonly #awaitingSubscriber = new Map<string, (() => void)[]>();

  private constructor() {
    this.#wss = new WebSocketServer({ noServer: true });
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.on('upgrade', (req, socket, head) => {
      if (req.headers.authorization !== 'Bearer good-token') {
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        this.socketsOpened++;
        this.sockets.add(ws);
        this.#subscriptions.set(ws, new Set());
        ws.on('message', (data) => this.#onMessage(ws, String(data)));
        ws.on('close', () => {
          this.sockets.delete(ws);
          this.#subscriptions.delete(ws);
        });
      });
    });
  }

  static async start(): Promise<ScriptedService> {
    const service = new ScriptedService();
    await new Promise<void>((resolve) => service.#server.listen(0, '127.0.0.1', resolve));
    return service;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Sends a task's frame to the sockets that subscribed its group, or holds it for the first. */
  push(frame: ServerFrame): void {
    const group = this.#groupOf.get(frame.task_id) ?? 'no-group';
    const text = JSON.stringify(frame);
    const subscribers = [...this.#subscriptions].filter(([, groups]) => groups.has(group));
    if (subscribers.length === 0) this.#held.set(group, [...(this.#held.get(group) ?? []), text]);
    for (const [ws] of subscribers) ws.send(text);
  }

  #onMessage(ws: WebSocket, text: string): void {
    this.received.push(text);
    let group: unknown;
    try {
      group = (JSON.parse(text) as { task_group_id?: unknown }).task_group_id;
    } catch {
      return; // not a subscription (the client sends only JSON; a test may look at `received`)
    }
    if (typeof group !== 'string') return;
    this.#subscriptions.get(ws)?.add(group);
    for (const held of this.#held.get(group) ?? []) ws.send(held);
    this.#held.delete(group);
    for (const wake of this.#awaitingSubscriber.get(group) ?? []) wake();
    this.#awaitingSubscriber.delete(group);
  }

  /** Resolves once some open socket has subscribed `group`. */
  #subscribed(group: string): Promise<void> {
    if ([...this.#subscriptions.values()].some((groups) => groups.has(group))) return Promise.resolve();
    return new Promise((resolve) => this.#awaitingSubscriber.set(group, [...(this.#awaitingSubscriber.get(group) ?? []), resolve]));
  }

  /**
   * Resolves once every open result socket has received what was sent on it so far: a ping
   * behind the frames, and its pong. The client's `ws` answers a ping once it has parsed, and
   * emitted as messages, every frame before it (a socket that closes meanwhile is done too).
   */
  async #delivered(): Promise<void> {
    await Promise.all([...this.sockets].map((ws) => new Promise<void>((resolve) => {
      const done = (): void => {
        ws.off('pong', done).off('close', done);
        resolve();
      };
      ws.on('pong', done).on('close', done);
      ws.ping();
    })));
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.#held.clear();
    this.#groupOf.clear();
    this.#wss.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const reply = (status: number, payload: unknown, headers: Readonly<Record<string, string>> = {}): void => {
      res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    if (req.url === '/v2/functions') return reply(200, { function_uuid: '11111111-1111-4111-8111-111111111111' });
    if (req.url === '/v2/cancel' || req.url?.endsWith('/cancel')) return reply(200, { response: 'batch', results: {} });
    if (req.url === '/v2/batch_status') {
      // Like the real service: every id is answered; the tasks it was sent are still waiting.
      this.sweeps++;
      const submitted = new Set(this.submits.flatMap((r) => r.tasks.map((t) => t[3])));
      const ids = (JSON.parse(body) as { task_ids: string[] }).task_ids;
      const results = Object.fromEntries(
        ids.map((id) => [id, submitted.has(id) ? this.recordOf(id) : { task_id: id, status: 'Failed', reason: 'Unknown task id' }]),
      );
      return reply(200, { response: 'batch', results });
    }
    if (req.url === '/v2/submit') {
      const request = JSON.parse(body) as SubmitRequest;
      const index = this.submits.push(request) - 1;
      this.submitTimes.push(Date.now());
      const group = request.task_group_id ?? 'no-group';
      for (const task of request.tasks) if (task[3] !== undefined) this.#groupOf.set(task[3], group);
      const script = this.onSubmit(request, index);
      const early = script.framesBeforeAnswer ?? [];
      if (early.length > 0) {
        await this.#subscribed(group);
        for (const frame of early) this.push(frame);
        await this.#delivered();
      }
      reply(script.status ?? 200, script.body ?? accept(request), script.headers);
      for (const frame of script.framesAfterAnswer ?? []) this.push(frame);
      return;
    }
    reply(404, { status: 'Failed', code: 102, error_args: [], reason: 'no such route', http_status_code: 404 });
  }
}

/** The answer of a service that accepts every task of a submit. */
export function accept(request: SubmitRequest): SubmitResponse {
  return {
    response: 'batch',
    task_group_id: request.task_group_id ?? 'g',
    results: request.tasks.map((task) => ({ status: 'Success', task_uuid: task[3] ?? 'no-id', http_status_code: 200 })),
  };
}

/** A success frame for a task. */
export function success(taskId: string, value: unknown): ServerFrame {
  return { task_id: taskId, status: 'success', result: `11\n${JSON.stringify(value)}`, exception: null, completion_t: '1700000000.000' };
}
