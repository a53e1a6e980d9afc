import { FRAME_LIMIT_BYTES } from '../../protocol/endpointChannel.js';
import { decodeFrame, encodeFrames } from '../../protocol/frames.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EndpointLanguages } from '../../protocol/endpointChannel.js';
import { codeLanguage, type Language } from '../../serialize/codeLanguage.js';
import { serializeError } from '../../serialize/serialize.js';
import type { WorkerOutcome } from '../worker.js';
import type { EngineRunOptions, EngineTask } from '../engine/TaskEngine.js';
import { MANAGER_FRAME_MAX_BYTES, type InterchangeToManager, type ManagerRegisterMessage, type ManagerToInterchange } from './managerChannel.js';
import { WorkerManagerLost } from './WorkerManagerLost.js';
import type { PartialCredit } from '../../protocol/endpointChannel.js';
import type { WorkerPartial } from '../partialChannel.js';

/** Options of {@link Interchange.listen}. */
export interface InterchangeOptions {
  /** The interface managers connect to. */
  readonly host: string;
  /** The port; 0 picks a free one. */
  readonly port: number;
  /** The host name managers are told to connect to (the node they run on must resolve it). */
  readonly advertise: string;
  /** The manager secret: a manager must send it as `Authorization: Bearer <secret>`. */
  readonly secret: string;
  /** How many times a task may be sent again after its manager was lost under it. */
  readonly maxRetries: number;
  /** Managers are pinged this often; one silent for a whole interval is dropped (its node went away). */
  readonly heartbeatMs: number;
  /** Whether a manager of this block may register (the block is known and not being given back). */
  readonly admit: (blockId: string) => boolean;
  /** Told when a manager registers, starts draining, or goes away. */
  readonly onManager: (event: ManagerEvent) => void;
}

/** What happened to a manager. */
export type ManagerEvent =
  | { readonly type: 'up'; readonly blockId: string; readonly managerId: string; readonly host: string; readonly pid: number }
  | { readonly type: 'draining'; readonly blockId: string; readonly managerId: string; readonly reason: string }
  | {
      readonly type: 'down';
      readonly blockId: string;
      readonly managerId: string;
      /** Tasks that were running on it and go to another manager. */
      readonly requeued: readonly string[];
      /** Tasks that were running on it and failed, past their retry limit. */
      readonly failed: readonly string[];
      readonly reason: string;
    };

/** One connected manager. */
interface Link {
  readonly socket: WebSocket;
  readonly blockId: string;
  readonly managerId: string;
  readonly host: string;
  readonly capacity: Record<Language, number>;
  readonly busy: Record<Language, number>;
  /** Its tasks now. */
  readonly running: Set<string>;
  /** Functions whose code it was sent (it keeps them; cleared past a bound, to be sent again). */
  readonly sent: Set<string>;
  draining: boolean;
  alive: boolean;
  idleSinceMs: number | null;
  outbox: InterchangeToManager[];
  flushScheduled: boolean;
}

/** One task handed to the interchange, until it settles. */
interface Entry {
  readonly id: string;
  readonly task: EngineTask;
  readonly language: Language;
  readonly timeoutMs: number | undefined;
  attempts: number;
  link: Link | null;
  readonly resolve: (outcome: WorkerOutcome) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  /** A generator's credit now (§11): the first one, then the endpoint's latest. */
  credit: PartialCredit | undefined;
}

/** Functions' code sent to one manager before the record is cleared (the manager's cache holds 1,000). */
const SENT_FUNCTIONS = 1000;
/** How long a connection may stay without registering. */
const REGISTER_WITHIN_MS = 10_000;

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * The endpoint's dispatcher for blocks: a WebSocket server that worker managers connect back to
 * with the endpoint process's manager secret. Each manager says how many workers of each
 * language it has; the interchange gives each task to the manager with the most free workers of
 * its language, one task per worker, and resolves the task's promise with the manager's result.
 * A manager that goes away (its block cancelled or past its walltime, its node gone, the task
 * killed it) has its tasks sent to another manager, each at most `maxRetries` times more; past
 * that the task fails with {@link WorkerManagerLost}. Managers draining for their walltime get
 * no new task.
 *
 * @example
 * ```ts
 * const interchange = await Interchange.listen({ host: '127.0.0.1', port: 0, advertise: '127.0.0.1', secret, maxRetries: 1, heartbeatMs: 10_000, admit, onManager });
 * const outcome = await interchange.run(task, { signal });
 * ```
 */
export class Interchange {
  readonly #options: InterchangeOptions;
  readonly #server: WebSocketServer;
  readonly #secret: Buffer;
  readonly #links = new Set<Link>();
  /** Tasks not settled (deleted as each settles). */
  readonly #tasks = new Map<string, Entry>();
  /** Tasks whose manager was lost, waiting for a free worker, oldest first. */
  readonly #waiting: Record<Language, Entry[]> = { javascript: [], python: [] };
  #timer: NodeJS.Timeout | null = null;
  #failure: Error | null = null;
  #onPartial: ((partial: WorkerPartial) => void) | null = null;
  #closed = false;
  #url = '';

  private constructor(options: InterchangeOptions) {
    this.#options = options;
    this.#secret = digest(`Bearer ${options.secret}`);
    this.#server = new WebSocketServer({
      host: options.host,
      port: options.port,
      maxPayload: MANAGER_FRAME_MAX_BYTES,
      verifyClient: ({ req }, done) => {
        const given = digest(req.headers.authorization ?? '');
        if (timingSafeEqual(given, this.#secret)) done(true);
        else done(false, 403, 'Forbidden');
      },
    });
  }

  /**
   * Starts listening for managers.
   *
   * @param options - address, secret, retry limit, heartbeat, and the engine's hooks
   * @returns the interchange, listening
   */
  static async listen(options: InterchangeOptions): Promise<Interchange> {
    const interchange = new Interchange(options);
    const server = interchange.#server;
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
    const { port } = server.address() as AddressInfo;
    const host = options.advertise.includes(':') ? `[${options.advertise}]` : options.advertise;
    interchange.#url = `ws://${host}:${port}/`;
    server.on('connection', (socket) => interchange.#accept(socket));
    interchange.#timer = setInterval(() => interchange.#heartbeat(), options.heartbeatMs);
    interchange.#timer.unref();
    return interchange;
  }

  /** The URL managers connect to. */
  get url(): string {
    return this.#url;
  }

  /** Connected managers. */
  get managers(): number {
    return this.#links.size;
  }

  /**
   * How many tasks of a language can run at once on the managers that take tasks.
   *
   * @param language - the language
   * @returns the worker count (Infinity for Python when a manager has no Python: its tasks fail at once)
   */
  capacity(language: Language): number {
    let total = 0;
    for (const link of this.#links) if (!link.draining) total += link.capacity[language];
    return total;
  }

  /**
   * How many tasks of a language it holds: running on managers, or waiting for one after a manager was lost.
   *
   * @param language - the language
   * @returns the count
   */
  running(language: Language): number {
    let total = this.#waiting[language].length;
    for (const link of this.#links) total += link.busy[language];
    return total;
  }

  /**
   * Whether a task of a language would start at once (always, once {@link fail} was called: it fails at once).
   *
   * @param language - the language
   * @returns true when a manager has a free worker of it
   */
  hasRoom(language: Language): boolean {
    return this.#failure !== null || this.#freeLink(language) !== null;
  }

  /**
   * What a block's managers are doing.
   *
   * @param blockId - the block
   * @returns its connected managers, its running tasks, and since when it has had none (null while busy)
   */
  blockLoad(blockId: string): { managers: number; busy: number; idleSinceMs: number | null } {
    let managers = 0;
    let busy = 0;
    let idleSinceMs: number | null = 0;
    for (const link of this.#links) {
      if (link.blockId !== blockId) continue;
      managers++;
      busy += link.running.size;
      idleSinceMs = link.idleSinceMs === null || idleSinceMs === null ? null : Math.max(idleSinceMs, link.idleSinceMs);
    }
    return { managers, busy, idleSinceMs: managers === 0 ? null : idleSinceMs };
  }

  /** Free workers on the managers that take tasks, both languages (a manager without Python counts its threads only). */
  get freeWorkers(): number {
    let free = 0;
    for (const link of this.#links) {
      if (link.draining) continue;
      for (const language of ['javascript', 'python'] as const) if (Number.isFinite(link.capacity[language])) free += Math.max(0, link.capacity[language] - link.busy[language]);
    }
    return free;
  }

  /** Workers on the managers that take tasks, both languages. */
  get workers(): number {
    let total = 0;
    for (const link of this.#links) if (!link.draining) for (const language of ['javascript', 'python'] as const) if (Number.isFinite(link.capacity[language])) total += link.capacity[language];
    return total;
  }

  /**
   * Runs a task on a manager with a free worker of its language. Call it when {@link hasRoom}
   * says so; a task whose manager is lost waits here for the next free worker.
   *
   * @param task - the task, its function's code, and its id
   * @param options - `signal` to cancel, `timeoutMs` for its time limit (enforced by the manager)
   * @returns the serialized result or exception
   * @throws the signal's reason when the caller aborted
   */
  run(task: EngineTask, options: EngineRunOptions = {}): Promise<WorkerOutcome> {
    options.signal?.throwIfAborted();
    if (this.#failure !== null) return Promise.resolve({ exception: serializeError(this.#failure) });
    if (this.#closed) return Promise.reject(new Error('The interchange is closed'));
    const id = task.taskId ?? `t${this.#tasks.size}-${Math.random().toString(36).slice(2)}`;
    return new Promise<WorkerOutcome>((resolve, reject) => {
      const entry: Entry = {
        id,
        task,
        language: codeLanguage(task.functionCode),
        timeoutMs: options.timeoutMs,
        attempts: 0,
        link: null,
        resolve,
        reject,
        signal: options.signal,
        onAbort: () => this.#abort(entry),
        credit: task.credit,
      };
      this.#tasks.set(id, entry);
      options.signal?.addEventListener('abort', entry.onAbort, { once: true });
      if (!this.#place(entry)) this.#waiting[entry.language].push(entry);
    });
  }

  /**
   * Gives a block back: its managers take no new task and are told to exit.
   *
   * @param blockId - the block
   * @returns nothing
   */
  release(blockId: string): void {
    for (const link of this.#links) {
      if (link.blockId !== blockId) continue;
      link.draining = true;
      this.#send(link, { type: 'shutdown' });
    }
  }

  /**
   * Fails every task it holds with `error`, and every task given to it from now on: blocks
   * cannot be had, and waiting would be forever.
   *
   * @param error - why
   * @returns nothing
   */
  fail(error: Error): void {
    this.#failure = error;
    for (const language of ['javascript', 'python'] as const) {
      const waiting = this.#waiting[language];
      this.#waiting[language] = [];
      for (const entry of waiting) this.#settle(entry, { exception: serializeError(error) });
    }
  }

  /**
   * Tells every manager to exit, closes their connections and stops listening. Tasks still held
   * reject (the endpoint has stopped them already).
   *
   * @returns when the server is closed
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const link of this.#links) {
      link.draining = true;
      link.outbox.push({ type: 'shutdown' });
      this.#flush(link);
      link.socket.close(1001);
    }
    for (const entry of this.#tasks.values()) {
      entry.signal?.removeEventListener('abort', entry.onAbort);
      entry.reject(new Error('The interchange closed'));
    }
    this.#tasks.clear();
    this.#waiting.javascript = [];
    this.#waiting.python = [];
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const client of this.#server.clients) client.terminate();
    await closed;
  }

  #accept(socket: WebSocket): void {
    let link: Link | null = null;
    const unregistered = setTimeout(() => socket.close(1008, 'register first'), REGISTER_WITHIN_MS);
    unregistered.unref();
    // Its close follows and drops the manager (its tasks requeued); the error itself adds nothing.
    socket.on('error', () => {});
    socket.on('pong', () => {
      if (link) link.alive = true;
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      // A frame that is not JSON is dropped; the connection goes on.
      for (const message of (decodeFrame(String(data)) ?? []) as ManagerToInterchange[]) {
        if (typeof message !== 'object' || message === null) continue;
        if (link === null) {
          if (message.type !== 'register') continue;
          clearTimeout(unregistered);
          link = this.#register(socket, message);
          if (link === null) return;
          continue;
        }
        this.#receive(link, message);
      }
      if (link) this.#placeWaiting();
    });
    socket.on('close', (code, reason) => {
      clearTimeout(unregistered);
      if (link) this.#lost(link, `${link.draining ? 'it exited' : 'its connection closed'} (code ${code}${reason.length > 0 ? `, ${String(reason)}` : ''})`);
    });
  }

  #register(socket: WebSocket, message: ManagerRegisterMessage): Link | null {
    if (typeof message.block_id !== 'string' || typeof message.manager_id !== 'string' || this.#closed || !this.#options.admit(message.block_id)) {
      // An unknown block, or one being given back: its manager must exit.
      socket.send(encodeFrames([{ type: 'shutdown' }], FRAME_LIMIT_BYTES)[0]!.text);
      socket.close(1008, 'unknown block');
      return null;
    }
    const languages = message.languages as EndpointLanguages | undefined;
    const workers = (n: unknown): number => (Number.isInteger(n) && (n as number) >= 0 ? Math.min(n as number, 4096) : 0);
    const link: Link = {
      socket,
      blockId: message.block_id,
      managerId: message.manager_id,
      host: String(message.host).slice(0, 200),
      capacity: {
        javascript: workers(languages?.javascript?.workers),
        // No Python on that node: its Python tasks fail at once there with PythonUnavailable.
        python: languages?.python?.available ? workers(languages.python.workers) : Infinity,
      },
      busy: { javascript: 0, python: 0 },
      running: new Set(),
      sent: new Set(),
      draining: false,
      alive: true,
      idleSinceMs: Date.now(),
      outbox: [],
      flushScheduled: false,
    };
    this.#links.add(link);
    this.#options.onManager({ type: 'up', blockId: link.blockId, managerId: link.managerId, host: link.host, pid: Number(message.pid) || 0 });
    return link;
  }

  #receive(link: Link, message: ManagerToInterchange): void {
    link.alive = true;
    if (message.type === 'result') {
      const entry = this.#tasks.get(message.task_id);
      // A task cancelled meanwhile, or one this manager no longer holds.
      if (entry === undefined || entry.link !== link) return;
      const partials = Number.isSafeInteger(message.partials) ? { partials: message.partials! } : {};
      this.#settle(entry, typeof message.exception === 'string' ? { exception: message.exception, ...partials } : { result: String(message.result), ...partials });
    } else if (message.type === 'partial') {
      const entry = this.#tasks.get(message.task_id);
      // Only from the manager that runs it now (a lost manager's run is over).
      if (entry === undefined || entry.link !== link || !Number.isSafeInteger(message.seq) || typeof message.value !== 'string') return;
      this.#onPartial?.({ type: 'partial', taskId: entry.id, seq: message.seq, value: message.value });
    } else if (message.type === 'need_function') {
      const entry = this.#tasks.get(message.task_id);
      if (entry === undefined || entry.link !== link) return;
      link.sent.delete(entry.task.functionId);
      this.#send(link, this.#taskMessage(link, entry));
    } else if (message.type === 'draining') {
      if (link.draining) return;
      link.draining = true;
      this.#options.onManager({ type: 'draining', blockId: link.blockId, managerId: link.managerId, reason: String(message.reason).slice(0, 300) });
      if (link.running.size === 0) this.#send(link, { type: 'shutdown' });
    }
  }

  /** The manager with the most free workers of a language, among those that take tasks. */
  #freeLink(language: Language): Link | null {
    let best: Link | null = null;
    let bestFree = 0;
    for (const link of this.#links) {
      if (link.draining) continue;
      const free = link.capacity[language] - link.busy[language];
      if (free > bestFree) {
        best = link;
        bestFree = free;
      }
    }
    return best;
  }

  #place(entry: Entry): boolean {
    const link = this.#freeLink(entry.language);
    if (link === null) return false;
    entry.link = link;
    link.running.add(entry.id);
    link.busy[entry.language]++;
    link.idleSinceMs = null;
    this.#send(link, this.#taskMessage(link, entry));
    return true;
  }

  #placeWaiting(): void {
    for (const language of ['javascript', 'python'] as const) {
      const waiting = this.#waiting[language];
      while (waiting.length > 0 && this.#place(waiting[0]!)) waiting.shift();
    }
  }

  #taskMessage(link: Link, entry: Entry): InterchangeToManager {
    const { task } = entry;
    const withCode = !link.sent.has(task.functionId);
    if (withCode) {
      if (link.sent.size >= SENT_FUNCTIONS) link.sent.clear();
      link.sent.add(task.functionId);
    }
    return {
      type: 'task',
      task_id: entry.id,
      function_id: task.functionId,
      payload: task.payload,
      ...(withCode ? { function_code: task.functionCode } : {}),
      ...(entry.timeoutMs === undefined ? {} : { timeout_ms: entry.timeoutMs }),
      ...(task.maxResultBytes === undefined ? {} : { max_result_bytes: task.maxResultBytes }),
      ...(entry.credit === undefined ? {} : { credit: entry.credit }),
    };
  }

  /**
   * Where generators' partials go, from the managers that run them (§11).
   *
   * @param handler - told of each partial
   * @returns nothing
   */
  onPartial(handler: (partial: WorkerPartial) => void): void {
    this.#onPartial = handler;
  }

  /**
   * Gives a streaming task more credit: to its manager now, and to the next one should it run again.
   *
   * @param taskId - the task
   * @param credit - its new cumulative credit
   * @returns nothing
   */
  credit(taskId: string, credit: PartialCredit): void {
    const entry = this.#tasks.get(taskId);
    if (entry === undefined) return;
    entry.credit = credit;
    if (entry.link !== null) this.#send(entry.link, { type: 'credit', task_id: taskId, count: credit.count, bytes: credit.bytes });
  }

  /** Frees the task's worker and settles its promise. */
  #unlink(entry: Entry): void {
    const link = entry.link;
    entry.link = null;
    if (link === null || !link.running.delete(entry.id)) return;
    link.busy[entry.language]--;
    if (link.running.size > 0) return;
    link.idleSinceMs = Date.now();
    // A manager draining for its walltime exits once the last task it was sent is done.
    if (link.draining) this.#send(link, { type: 'shutdown' });
  }

  #settle(entry: Entry, outcome: WorkerOutcome): void {
    this.#tasks.delete(entry.id);
    entry.signal?.removeEventListener('abort', entry.onAbort);
    this.#unlink(entry);
    entry.resolve(outcome);
    this.#placeWaiting();
  }

  #abort(entry: Entry): void {
    if (!this.#tasks.delete(entry.id)) return;
    const link = entry.link;
    if (link === null) {
      const waiting = this.#waiting[entry.language];
      const at = waiting.indexOf(entry);
      if (at >= 0) waiting.splice(at, 1);
    } else {
      this.#send(link, { type: 'cancel', task_id: entry.id });
      this.#unlink(entry);
    }
    entry.reject(entry.signal?.reason);
    this.#placeWaiting();
  }

  /** A manager went away: its tasks go to other managers, or fail past their retry limit. */
  #lost(link: Link, how: string): void {
    if (!this.#links.delete(link)) return;
    const reason = `the worker manager of block ${link.blockId} on ${link.host}: ${how}`;
    const requeued: Entry[] = [];
    const failed: string[] = [];
    for (const id of link.running) {
      const entry = this.#tasks.get(id);
      if (entry === undefined) continue;
      entry.link = null;
      entry.attempts++;
      if (entry.attempts > this.#options.maxRetries) {
        failed.push(id);
        this.#tasks.delete(id);
        entry.signal?.removeEventListener('abort', entry.onAbort);
        entry.resolve({ exception: serializeError(new WorkerManagerLost(entry.attempts, this.#options.maxRetries, reason)) });
      } else {
        requeued.push(entry);
      }
    }
    link.running.clear();
    // Sent again first: they have waited longest.
    for (const language of ['javascript', 'python'] as const) {
      const again = requeued.filter((e) => e.language === language);
      if (again.length > 0) this.#waiting[language] = [...again, ...this.#waiting[language]];
    }
    this.#options.onManager({ type: 'down', blockId: link.blockId, managerId: link.managerId, requeued: requeued.map((e) => e.id), failed, reason });
    if (!this.#closed) this.#placeWaiting();
  }

  #heartbeat(): void {
    for (const link of this.#links) {
      if (!link.alive) {
        // Its node went away, or it hangs: as good as lost.
        link.socket.terminate();
        continue;
      }
      link.alive = false;
      link.socket.ping();
    }
  }

  #send(link: Link, message: InterchangeToManager): void {
    link.outbox.push(message);
    if (link.flushScheduled) return;
    link.flushScheduled = true;
    // The messages of one tick go in one frame.
    setImmediate(() => this.#flush(link));
  }

  #flush(link: Link): void {
    link.flushScheduled = false;
    if (link.outbox.length === 0 || link.socket.readyState !== link.socket.OPEN) return;
    const batch = link.outbox;
    link.outbox = [];
    for (const { text } of encodeFrames(batch, FRAME_LIMIT_BYTES)) link.socket.send(text);
  }
}
