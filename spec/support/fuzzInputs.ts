import { v4 as uuidv4 } from 'uuid';

/** A seeded PRNG (mulberry32): the same seed gives the same inputs, so a failure can be replayed. */
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.int(256)));
  }
  text(n: number): string {
    const alphabet = 'abcXYZ019 -_/%?#&=+.:;,"\'\\{}[]<>\u00e9\u4e2d\u{1F600}\t\r\n\u0000';
    return Array.from({ length: n }, () => this.pick([...alphabet])).join('');
  }
}

/** What the fuzzer knows of the live service, to build inputs that reach deep into handlers. */
export interface FuzzWorld {
  readonly token: string;
  readonly functionId: string;
  readonly endpointId: string;
  readonly taskIds: readonly string[];
  readonly groupId: string;
}

/** One HTTP request the fuzzer sends through Node's client (header values stay legal). */
export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer | string;
}

const ROUTES = [
  ['GET', '/v2/version'], ['GET', '/v2/health'], ['GET', '/v2/authenticate'], ['GET', '/v2/stats'],
  ['POST', '/v2/functions'], ['POST', '/v2/submit'], ['GET', '/v2/tasks/:task'], ['POST', '/v2/tasks/:task/cancel'],
  ['POST', '/v2/batch_status'], ['POST', '/v2/cancel'], ['GET', '/v2/task_groups/:group'], ['GET', '/v2/task_groups/:group/tasks'],
  ['POST', '/v2/endpoints'], ['GET', '/v2/endpoints/:endpoint/status'], ['GET', '/v2/tasks/:task/partials'],
] as const;

function anyValue(r: Random, depth = 0): unknown {
  switch (r.int(depth > 3 ? 6 : 9)) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: return r.pick([0, -1, 1e308, Number.MAX_SAFE_INTEGER, 3.14, -0]);
    case 3: return r.text(r.int(40));
    case 4: return uuidv4();
    case 5: return r.pick(['', '10\nx', '11\n{}', '00\ngARLZC4=\n', '%E0%A4%A', '__proto__', 'constructor']);
    case 6: return Array.from({ length: r.int(5) }, () => anyValue(r, depth + 1));
    case 7: return Object.fromEntries(Array.from({ length: r.int(5) }, () => [r.pick(['tasks', 'task_ids', 'function_name', 'function_code', '__proto__', r.text(5)]), anyValue(r, depth + 1)]));
    default: return 'x'.repeat(r.int(100_000));
  }
}

function validBody(r: Random, path: string, world: FuzzWorld): unknown {
  const ids = (): string[] => Array.from({ length: r.int(20) }, () => (r.chance(0.5) ? r.pick(world.taskIds) : r.chance(0.5) ? uuidv4() : r.text(10)));
  if (path.endsWith('/submit')) {
    return {
      ...(r.chance(0.5) ? { task_group_id: r.chance(0.7) ? world.groupId : anyValue(r) } : {}),
      tasks: Array.from({ length: r.int(r.chance(0.05) ? 6000 : 10) }, () => {
        const t: unknown[] = [r.chance(0.8) ? world.functionId : anyValue(r), r.chance(0.8) ? world.endpointId : anyValue(r), r.chance(0.8) ? '11\n[[1],{}]' : anyValue(r)];
        if (r.chance(0.5)) t.push(r.chance(0.7) ? uuidv4() : anyValue(r));
        return t;
      }),
    };
  }
  if (path.endsWith('/functions')) return { function_name: r.text(8), function_code: r.chance(0.9) ? `10\n${r.text(30)}` : anyValue(r), function_source: anyValue(r), entry_point: anyValue(r) };
  if (path.endsWith('/batch_status') || path.endsWith('/v2/cancel')) return { task_ids: r.chance(0.05) ? Array.from({ length: 12_000 }, () => uuidv4()) : ids() };
  if (path.endsWith('/endpoints')) return { endpoint_name: anyValue(r), description: anyValue(r) };
  return anyValue(r);
}

/** Drops, retypes or adds keys at random, down into nested values. */
function mutate(r: Random, value: unknown, depth = 0): unknown {
  if (r.chance(0.1)) return anyValue(r);
  if (Array.isArray(value)) {
    const copy = value.map((v) => (r.chance(0.2) ? mutate(r, v, depth + 1) : v));
    if (r.chance(0.2)) copy.splice(r.int(copy.length + 1), 0, anyValue(r));
    if (r.chance(0.2)) copy.splice(r.int(copy.length), 1);
    return copy;
  }
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const key of Object.keys(copy)) {
      if (r.chance(0.15)) delete copy[key];
      else if (r.chance(0.3)) copy[key] = mutate(r, copy[key], depth + 1);
    }
    if (r.chance(0.2)) copy[r.text(6)] = anyValue(r);
    return copy;
  }
  return value;
}

function param(r: Random, kind: string, world: FuzzWorld): string {
  switch (r.int(8)) {
    case 0: return r.text(r.int(30)).replace(/[/?#\s]/g, '');
    case 1: return encodeURIComponent(r.text(10));
    case 2: return 'a'.repeat(r.int(400));
    case 3: return uuidv4().toUpperCase();
    case 4: return '..%2F..%2Fetc';
    default: return kind === 'task' ? r.pick(world.taskIds) : kind === 'group' ? world.groupId : kind === 'endpoint' ? world.endpointId : uuidv4();
  }
}

/**
 * One random HTTP request: usually a real route with mutated parameters, headers and body.
 *
 * @param r - the seeded source of randomness
 * @param world - live ids and the token
 * @returns the request
 */
export function fuzzRequest(r: Random, world: FuzzWorld): FuzzRequest {
  const [routeMethod, routePath] = r.chance(0.9) ? r.pick(ROUTES) : ['GET', `/${r.text(8).replace(/[\s?#]/g, '')}`];
  const method = r.chance(0.85) ? routeMethod : r.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
  let path = routePath.replace(/:(\w+)/g, (_m, kind: string) => param(r, kind, world));
  if (r.chance(0.1)) path += `?${r.pick(['a=1', 'access_token=x', '%zz', 'a'.repeat(3000), 'from=-1', 'from=1e3&limit=0', 'limit=99999999999999999999', 'from=2&limit=5', 'from=&limit=x'])}`;
  if (r.chance(0.05)) path = path.toUpperCase();
  if (r.chance(0.05)) path = path.replace('/v2', '//v2//');
  const headers: Record<string, string> = {};
  const auth = r.int(10);
  if (auth < 7) headers.authorization = `Bearer ${world.token}`;
  else if (auth === 7) headers.authorization = `Bearer ${r.text(20).replace(/[^\x21-\x7e]/g, 'a')}`;
  else if (auth === 8) headers.authorization = r.pick(['Bearer', 'Basic abc', 'Bearer ' + 'x'.repeat(2000)]);
  let body: Buffer | string | undefined;
  if (method !== 'GET' && method !== 'HEAD' && r.chance(0.9)) {
    const kind = r.int(10);
    if (kind < 6) body = JSON.stringify(mutate(r, validBody(r, path, world)));
    else if (kind === 6) body = JSON.stringify(validBody(r, path, world)).slice(0, r.int(50));
    else if (kind === 7) body = r.bytes(r.int(200));
    else if (kind === 8) body = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    else body = JSON.stringify(validBody(r, path, world));
    headers['content-type'] = r.chance(0.85) ? 'application/json' : r.pick(['text/plain', 'application/xml', 'application/json; charset=latin1', 'multipart/form-data']);
  }
  return { method, path, headers, ...(body === undefined ? {} : { body }) };
}

/**
 * Raw bytes for a TCP connection: broken request lines, broken headers, odd upgrades.
 *
 * @param r - the seeded source of randomness
 * @param world - live ids and the token
 * @returns what to write
 */
export function fuzzRaw(r: Random, world: FuzzWorld): Buffer | string {
  const upgrade = (path: string, extra = ''): string =>
    `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: ${r.pick(['websocket', 'WebSocket', 'h2c', ''])}\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${r.pick(['dGhlIHNhbXBsZSBub25jZQ==', 'short', ''])}\r\nSec-WebSocket-Version: ${r.pick(['13', '8', '99', ''])}\r\n${extra}\r\n`;
  switch (r.int(9)) {
    case 0: return r.bytes(r.int(300));
    case 1: return `${r.pick(['GET', 'BREW', 'G\u00e9T', ''])} ${r.text(20)} HTTP/${r.pick(['1.1', '1.0', '9.9', 'x'])}\r\n\r\n`;
    case 2: return `GET /v2/health HTTP/1.1\r\nHost: x\r\n${r.text(30)}\r\n\r\n`;
    case 3: return `POST /v2/submit HTTP/1.1\r\nHost: x\r\nContent-Length: ${r.pick(['-1', 'abc', '99999999999', '10'])}\r\nTransfer-Encoding: ${r.pick(['chunked', 'gzip', 'x'])}\r\n\r\n${r.text(20)}`;
    case 4: return upgrade(r.pick(['/ws/v2/', '/ws/v2/endpoints/%E0%A4%A', `/ws/v2/endpoints/${world.endpointId}`, 'http://[x', `/ws/v2/?access_token=${r.pick([world.token, '%', 'x'])}`, `/ws/v2/endpoints/${uuidv4()}`]), r.chance(0.5) ? `Authorization: Bearer ${r.pick([world.token, 'x', ''])}\r\n` : '');
    case 5: return upgrade(`/ws/v2/${r.text(10).replace(/\s/g, '')}`);
    case 6: return `GET /v2/health HTTP/1.1\r\nHost: x\r\nX: ${'y'.repeat(r.int(30_000))}\r\n\r\n`;
    case 7: return `GET /${'a'.repeat(r.int(20_000))} HTTP/1.1\r\nHost: x\r\n\r\n`;
    default: return `GET /v2/health HTTP/1.1\r\nHost: x\r\n`; // headers that never end
  }
}

/**
 * A random frame for a result socket or an endpoint channel.
 *
 * @param r - the seeded source of randomness
 * @param world - live ids
 * @returns a text frame, or bytes for a binary one
 */
export function fuzzFrame(r: Random, world: FuzzWorld): string | Buffer {
  switch (r.int(8)) {
    case 0: return r.bytes(r.int(100));
    case 1: return r.text(r.int(200));
    case 2: return r.chance(0.5) ? world.groupId : uuidv4();
    case 3: return JSON.stringify({ task_group_id: r.chance(0.5) ? world.groupId : anyValue(r), statuses: anyValue(r) });
    case 4: return JSON.stringify(Array.from({ length: r.int(5) }, () => ({ type: r.pick(['result', 'status', 'task', 'cancel', 'x', 'partial', 'ack']), task_id: r.chance(0.6) ? r.pick(world.taskIds) : anyValue(r), result: anyValue(r), exception: anyValue(r), status: r.pick(['running', 'success', 'waiting-for-launch', 'x']), seq: r.chance(0.5) ? r.int(5) : anyValue(r), value: r.chance(0.5) ? '11\n1' : anyValue(r), partials: anyValue(r) })));
    case 5: return r.chance(0.5) ? JSON.stringify(anyValue(r)) : JSON.stringify({ type: 'ack', acks: r.chance(0.5) ? [[r.pick(world.taskIds), r.int(5)]] : anyValue(r) });
    case 6: return 'x'.repeat(r.int(10_000));
    default: return JSON.stringify(mutate(r, { type: 'result', task_id: r.pick(world.taskIds), result: '11\n1' }));
  }
}
