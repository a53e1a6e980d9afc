import { connect } from 'node:net';

/** What came back on a raw connection: the status line's code, the headers and the body. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Sends bytes exactly as given on a fresh TCP connection and reads the answer until the server
 * closes or `timeoutMs` passes (then it rejects: a hang is a failure).
 *
 * @param url - the service's base URL (host and port are used)
 * @param request - the raw request, or the first bytes of one
 * @param timeoutMs - how long the answer may take
 * @returns the parsed answer (status 0 when the server closed without answering)
 */
export function rawExchange(url: string, request: string | Buffer, timeoutMs = 5000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(String(request).slice(0, 80))}`));
    }, timeoutMs);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // A complete answer with Content-Length: done, even if the server keeps the connection.
      const parsed = parseAnswer(Buffer.concat(chunks).toString('latin1'));
      if (parsed && parsed.complete) finish();
    });
    socket.on('error', () => finish());
    socket.on('close', () => finish());
    socket.write(request);
    let done = false;
    function finish(): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseAnswer(Buffer.concat(chunks).toString('latin1'));
      resolve(parsed ?? { status: 0, headers: {}, body: '' });
    }
  });
}

function parseAnswer(text: string): (RawAnswer & { complete: boolean }) | null {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const [statusLine, ...headerLines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = text.slice(end + 4);
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  // A 101 (a handshake accepted) is complete with its headers: what follows is WebSocket frames.
  return { status, headers, body, complete: status === 101 || (length !== undefined && Buffer.byteLength(body, 'latin1') >= length) };
}

/**
 * A minimal WebSocket upgrade request.
 *
 * @param path - the request target, sent as is
 * @param headers - extra or replacing headers
 * @returns the request text
 */
export function upgradeRequest(path: string, headers: Readonly<Record<string, string>> = {}): string {
  const all: Record<string, string> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  return `GET ${path} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}
