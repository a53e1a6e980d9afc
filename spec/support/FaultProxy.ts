import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * Where a scripted fault cuts an HTTP exchange or a WebSocket stream:
 * - `request`: the request never reaches the service (the connection is reset instead);
 * - `answer`: the service handles the request, and the connection is reset before any byte of
 *   the answer reaches the client;
 * - `headers`: the client gets the status line and headers, then a reset;
 * - `body`: the client gets the headers and half the body, then a reset;
 * - `stall`: the service handles the request, its answer is held for `stallMs`, then the
 *   connection is reset;
 * - `frame`: on a WebSocket, a server frame whose payload matches is cut in half, then reset.
 */
export type CutPoint = 'request' | 'answer' | 'headers' | 'body' | 'stall' | 'frame';

/** A fault armed for the next exchanges that match. */
export interface CutRule {
  /** `request` to `stall` match the request line (`POST /v2/submit`); `frame` matches a frame's text. */
  readonly match: RegExp;
  readonly at: CutPoint;
  /** How many matching exchanges to cut. @default 1 */
  readonly times?: number;
  /** For `stall`: how long the answer is held before the reset. @default 300 */
  readonly stallMs?: number;
}

/** What a proxy did, for assertions and reports. */
export interface ProxyCounters {
  connections: number;
  cuts: number;
  resets: number;
  closes: number;
  stalls: number;
  refused: number;
}

interface Armed extends CutRule {
  left: number;
}

/** One proxied TCP connection. */
class Link {
  readonly id: number;
  readonly client: Socket;
  readonly upstream: Socket;
  websocket = false;
  /** Reset or closed: nothing passes any more. */
  dead = false;
  /** Cut: nothing more passes; the reset follows once the cut bytes are written. */
  cut = false;
  /** The fault aimed at the exchange in flight, if any. */
  armed: Armed | null = null;
  /** Answer bytes held back while the armed fault decides where to cut. */
  held: Buffer = Buffer.alloc(0);
  /** Unparsed WebSocket bytes from the server, when a frame rule is armed. */
  frameBuffer: Buffer = Buffer.alloc(0);
  stallTimer: NodeJS.Timeout | null = null;

  constructor(id: number, client: Socket, upstream: Socket) {
    this.id = id;
    this.client = client;
    this.upstream = upstream;
  }

  /** Drops both sides with a TCP RST, as a crashed peer or a middlebox would. */
  reset(): void {
    if (this.dead) return;
    this.dead = true;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    resetSocket(this.client);
    resetSocket(this.upstream);
  }

  /** Closes both sides cleanly (FIN), as a restarting load balancer would. */
  close(): void {
    if (this.dead) return;
    this.dead = true;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.client.end();
    this.upstream.end();
    // A peer that never finishes its side would keep the link; it goes after a moment.
    setTimeout(() => {
      this.client.destroy();
      this.upstream.destroy();
    }, 200).unref();
  }
}

/**
 * A TCP proxy on 127.0.0.1 (port 0) in front of a service, for fault-injection specs and the
 * chaos bench: the client talks to the proxy, and the proxy cuts exchanges where a spec says
 * (after the request, after the headers, mid-body, mid-WebSocket-frame), stalls connections and
 * resets them, drops every live connection, or partitions the link until it heals. The faults
 * happen on the wire, outside the client's and the service's code.
 *
 * It understands just enough of HTTP/1.1 (request lines, `Content-Length`, the `101` upgrade)
 * and of WebSocket framing (RFC 6455 lengths; servers do not mask) to find the cut points on
 * keep-alive connections.
 *
 * @example
 * ```ts
 * const proxy = await FaultProxy.start(serviceUrl);
 * proxy.cut({ match: /^POST \/v2\/submit/, at: 'body' });
 * const fxc = new FuncXClient({ serviceUrl: proxy.url, token, asynchronous: true });
 * ```
 */
export class FaultProxy {
  readonly counters: ProxyCounters = { connections: 0, cuts: 0, resets: 0, closes: 0, stalls: 0, refused: 0 };
  readonly #server: Server;
  #target: { host: string; port: number };
  readonly #links = new Set<Link>();
  readonly #rules: Armed[] = [];
  #partitioned = false;
  #holding: { link: Link; chunk: Buffer }[] | null = null;
  #nextId = 0;
  #chaosTimer: NodeJS.Timeout | null = null;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
    this.#server = createServer((client) => this.#accept(client));
  }

  /**
   * Starts a proxy to `targetUrl`'s host and port.
   *
   * @param targetUrl - the service, `http://127.0.0.1:PORT`
   * @returns the listening proxy
   */
  static async start(targetUrl: string): Promise<FaultProxy> {
    const url = new URL(targetUrl);
    const proxy = new FaultProxy({ host: url.hostname, port: Number(url.port) });
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /**
   * Sends new connections to another service from now on, as a load balancer does when a
   * replica goes down; open connections stay where they are.
   *
   * @param targetUrl - the service, `http://127.0.0.1:PORT`
   * @returns nothing
   */
  retarget(targetUrl: string): void {
    const url = new URL(targetUrl);
    this.#target = { host: url.hostname, port: Number(url.port) };
  }

  /** The proxy's URL, to give the client instead of the service's. */
  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** How many connections are open through the proxy now. */
  get open(): number {
    return this.#links.size;
  }

  /**
   * Arms a fault for the next matching exchanges (rules fire in the order they were armed).
   *
   * @param rule - what to match and where to cut
   * @returns nothing
   */
  cut(rule: CutRule): void {
    this.#rules.push({ ...rule, left: rule.times ?? 1 });
  }

  /** How many armed cuts have not fired yet. */
  get pendingCuts(): number {
    return this.#rules.reduce((sum, r) => sum + r.left, 0);
  }

  /**
   * Resets every live connection (or only the WebSockets, or only plain HTTP ones).
   *
   * @param which - the kind of connection to reset
   * @returns how many were reset
   */
  resetAll(which: 'all' | 'websocket' | 'http' = 'all'): number {
    let n = 0;
    for (const link of [...this.#links]) {
      if (which === 'websocket' && !link.websocket) continue;
      if (which === 'http' && link.websocket) continue;
      link.reset();
      n++;
    }
    this.counters.resets += n;
    return n;
  }

  /**
   * Stalls every live connection: nothing passes either way for `ms`, then each is reset.
   *
   * @param ms - how long the stall lasts
   * @returns how many were stalled
   */
  stallAll(ms: number): number {
    let n = 0;
    for (const link of [...this.#links]) {
      if (this.#stall(link, ms)) n++;
    }
    return n;
  }

  /**
   * Cuts the link: live connections are reset and new ones are reset on arrival, until `heal()`.
   *
   * @returns nothing
   */
  partition(): void {
    this.#partitioned = true;
    this.resetAll();
  }

  /** Ends a partition. */
  heal(): void {
    this.#partitioned = false;
  }

  /**
   * Holds back everything servers send on WebSockets (results on their way to a client), with
   * the connections left open, until `releaseFrames()`: a slow network, not a broken one.
   *
   * @returns nothing
   */
  holdFrames(): void {
    this.#holding ??= [];
  }

  /** Sends the frames held back, in order, and stops holding. */
  releaseFrames(): void {
    const held = this.#holding ?? [];
    this.#holding = null;
    for (const { link, chunk } of held) this.#frames(link, chunk);
  }

  /**
   * Injects random faults until `stopChaos()`: every `minMs`–`maxMs` one live connection (or all,
   * sometimes) is reset, closed or stalled then reset. The choices come from `seed`, so a run's
   * sequence of faults can be replayed.
   *
   * @param options - the seed, the interval, how long a stall lasts
   * @returns nothing
   */
  startChaos(options: { seed: number; minMs?: number; maxMs?: number; stallMs?: number }): void {
    const random = mulberry32(options.seed);
    const minMs = options.minMs ?? 100;
    const maxMs = options.maxMs ?? 400;
    const tick = (): void => {
      const links = [...this.#links];
      if (links.length > 0) {
        const roll = random();
        const link = links[Math.floor(random() * links.length)]!;
        if (roll < 0.1) this.resetAll();
        else if (roll < 0.45) {
          link.reset();
          this.counters.resets++;
        } else if (roll < 0.75) {
          link.close();
          this.counters.closes++;
        } else this.#stall(link, options.stallMs ?? 150);
      }
      this.#chaosTimer = setTimeout(tick, minMs + random() * (maxMs - minMs));
    };
    this.#chaosTimer = setTimeout(tick, minMs + random() * (maxMs - minMs));
  }

  /** Stops random faults. */
  stopChaos(): void {
    if (this.#chaosTimer) clearTimeout(this.#chaosTimer);
    this.#chaosTimer = null;
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    this.stopChaos();
    for (const link of this.#links) link.reset();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    client.on('error', () => {});
    if (this.#partitioned) {
      this.counters.refused++;
      resetSocket(client);
      return;
    }
    this.counters.connections++;
    const upstream = connect(this.#target.port, this.#target.host);
    upstream.on('error', () => {});
    const link = new Link(this.#nextId++, client, upstream);
    this.#links.add(link);
    const drop = (): void => {
      if (!this.#links.delete(link)) return;
      if (link.stallTimer) clearTimeout(link.stallTimer);
      link.dead = true;
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('data', (chunk: Buffer) => this.#fromClient(link, chunk));
    upstream.on('data', (chunk: Buffer) => this.#fromService(link, chunk));
  }

  #fromClient(link: Link, chunk: Buffer): void {
    if (link.dead || link.cut) return;
    if (!link.websocket) {
      // Node's agent sends one request at a time per connection, so a chunk that starts with a
      // request line starts the next exchange.
      const line = requestLine(chunk);
      if (line !== null) {
        link.held = Buffer.alloc(0);
        // A WebSocket handshake can be lost (`request`) or its 101 answer lost (`answer`), like any exchange.
        link.armed = this.#take(line, (at) => at !== 'frame');
        if (link.armed?.at === 'request') {
          this.counters.cuts++;
          link.reset();
          return;
        }
      }
    }
    link.upstream.write(chunk);
  }

  #fromService(link: Link, chunk: Buffer): void {
    if (link.dead || link.cut) return;
    if (!link.websocket && link.armed === null && chunk.subarray(0, 12).toString('latin1') === 'HTTP/1.1 101') {
      link.websocket = true;
      link.armed = null;
      // The handshake answer may carry the first frames in the same chunk.
      const end = chunk.indexOf('\r\n\r\n');
      link.client.write(chunk.subarray(0, end + 4));
      const rest = chunk.subarray(end + 4);
      if (rest.length > 0) this.#fromService(link, rest);
      return;
    }
    if (link.websocket) {
      if (this.#holding !== null) this.#holding.push({ link, chunk });
      else this.#frames(link, chunk);
      return;
    }
    const armed = link.armed;
    if (armed === null) {
      link.client.write(chunk);
      return;
    }
    if (armed.at === 'answer') {
      this.counters.cuts++;
      link.reset();
      return;
    }
    if (armed.at === 'stall') {
      if (link.stallTimer === null) this.#stall(link, armed.stallMs ?? 300);
      return;
    }
    link.held = Buffer.concat([link.held, chunk]);
    const headerEnd = link.held.indexOf('\r\n\r\n');
    if (headerEnd < 0) return;
    if (armed.at === 'headers') {
      this.counters.cuts++;
      link.client.write(link.held.subarray(0, headerEnd + 4), () => link.reset());
      link.cut = true;
      return;
    }
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(link.held.subarray(0, headerEnd).toString('latin1'))?.[1] ?? 0);
    const bodySoFar = link.held.length - headerEnd - 4;
    // Waits for the whole body, so the cut lands in its middle whatever the chunking.
    if (bodySoFar < length) return;
    this.counters.cuts++;
    const keep = headerEnd + 4 + Math.max(1, Math.floor(length / 2));
    link.client.write(link.held.subarray(0, keep), () => link.reset());
    link.cut = true;
  }

  /** Forwards server frames whole; one whose text matches an armed frame rule is cut in half. */
  #frames(link: Link, chunk: Buffer): void {
    if (link.dead || link.cut) return;
    if (!this.#rules.some((r) => r.at === 'frame' && r.left > 0) && link.frameBuffer.length === 0) {
      link.client.write(chunk);
      return;
    }
    link.frameBuffer = Buffer.concat([link.frameBuffer, chunk]);
    for (;;) {
      const size = frameSize(link.frameBuffer);
      if (size === null || link.frameBuffer.length < size.total) return;
      const frame = link.frameBuffer.subarray(0, size.total);
      link.frameBuffer = link.frameBuffer.subarray(size.total);
      const text = frame.subarray(size.header).toString('utf8');
      const rule = this.#take(text, (at) => at === 'frame');
      if (rule !== null) {
        this.counters.cuts++;
        link.client.write(frame.subarray(0, size.header + Math.max(1, Math.floor((size.total - size.header) / 2))), () => link.reset());
        link.cut = true;
        return;
      }
      link.client.write(frame);
    }
  }

  #stall(link: Link, ms: number): boolean {
    if (link.dead || link.cut || link.stallTimer !== null) return false;
    this.counters.stalls++;
    link.client.pause();
    link.upstream.pause();
    link.stallTimer = setTimeout(() => {
      link.stallTimer = null;
      this.counters.resets++;
      link.reset();
    }, ms);
    return true;
  }

  #take(text: string, kind: (at: CutPoint) => boolean): Armed | null {
    const rule = this.#rules.find((r) => r.left > 0 && kind(r.at) && r.match.test(text));
    if (rule === undefined) return null;
    rule.left--;
    return rule;
  }
}

/**
 * Drops a socket with a TCP RST, or, when its end is under way, closes it.
 *
 * Node ends a socket by itself when its peer sends FIN (`allowHalfOpen` is false), and `end()`
 * issues a `uv_shutdown` that libuv performs on a later turn of the loop. Until then libuv refuses
 * to reset that socket (`uv_tcp_close_reset` returns `UV_EINVAL`: shutdown and reset do not mix),
 * and Node 20's `TCPWrap::Reset` marks the handle closing all the same, so nothing ever closes it:
 * the socket never emits `close`, its fd stays open, and at exit `Environment::CleanupHandles()`
 * loops on `uv_run` waiting for it, at 100 % CPU, forever. A socket already ending has sent, or is
 * sending, its FIN; it is destroyed instead, which closes its fd.
 *
 * @param socket - a TCP socket of the proxy
 * @returns nothing
 */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  // Node resets a connecting socket once it connects; by then it may be ending.
  if (socket.connecting) socket.once('connect', () => resetSocket(socket));
  else if (socket.writableEnded && !socket.writableFinished) socket.destroy();
  else socket.resetAndDestroy();
}

function requestLine(chunk: Buffer): string | null {
  const head = chunk.subarray(0, 200).toString('latin1');
  const end = head.indexOf('\r\n');
  const line = end < 0 ? head : head.slice(0, end);
  return /^(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) \S+ HTTP\/1\.[01]$/.test(line) ? line : null;
}

/** The header and total length of the WebSocket frame at the start of `buffer`, once known. */
function frameSize(buffer: Buffer): { header: number; total: number } | null {
  if (buffer.length < 2) return null;
  const masked = (buffer[1]! & 0x80) !== 0;
  let length = buffer[1]! & 0x7f;
  let header = 2;
  if (length === 126) {
    if (buffer.length < 4) return null;
    length = buffer.readUInt16BE(2);
    header = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return null;
    length = Number(buffer.readBigUInt64BE(2));
    header = 10;
  }
  if (masked) header += 4;
  return { header, total: header + length };
}

/**
 * A small seeded PRNG (mulberry32), so a chaos run's choices can be replayed from its seed.
 *
 * @param seed - any 32-bit integer
 * @returns numbers in [0, 1)
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
