import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const root = fileURLToPath(new URL('../..', import.meta.url));
/** Screenshots land here (gitignored). */
export const artifacts = join(root, 'spec/browser/artifacts');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

/** A static HTTP server for a page: files from memory first, then from a folder, index.html for the rest. */
export interface StaticSite {
  readonly origin: string;
  readonly files: Map<string, string>;
  close(): Promise<void>;
}

/**
 * Serves a page from its own origin (127.0.0.1 on another port than the service), as a web
 * server would, so every call the page makes to the service is cross-origin.
 */
export async function startStaticSite(folder?: string): Promise<StaticSite> {
  const files = new Map<string, string>();
  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://site').pathname);
      const name = path === '/' ? '/index.html' : path;
      let body: string | Buffer | undefined = files.get(name);
      if (body === undefined && folder !== undefined) {
        const file = normalize(join(folder, name));
        if (file.startsWith(folder) && existsSync(file)) body = await readFile(file).catch(() => undefined);
        // A single-page app answers its own routes with index.html.
        body ??= extname(name) === '' ? files.get('/index.html') ?? (await readFile(join(folder, 'index.html')).catch(() => undefined)) : undefined;
      }
      if (body === undefined) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      response.writeHead(200, { 'content-type': TYPES[extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
    })().catch(() => response.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    files,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A `funcx-rx serve` process. */
export interface ServeProcess {
  readonly url: string;
  readonly token: string;
  readonly endpointId: string;
  stop(): Promise<void>;
}

/**
 * Starts `funcx-rx serve --json --cors <origins>` as its own process (from the TypeScript source,
 * as the built bin runs its compiled twin) and reads where it listens.
 */
export async function startServe(cors: readonly string[], workers = 4): Promise<ServeProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', 'serve', '--json', '--workers', String(workers), '--cors', cors.join(',')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const [line] = (await Promise.race([once(createInterface({ input: child.stdout! }), 'line'), exited.then(() => { throw new Error('funcx-rx serve exited before listening'); })])) as [string];
  const info = JSON.parse(line) as { url: string; token: string; endpoint_id: string };
  return {
    url: info.url,
    token: info.token,
    endpointId: info.endpoint_id,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Where Debian's chromium is (`.ci/run` installs it); CHROMIUM_PATH overrides. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Launches the machine's headless Chromium through playwright-core, which downloads no browser.
 * The flags keep it off the network this machine does not have.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`No Chromium at ${chromiumPath}: install Debian's chromium (bash .ci/run does), or set CHROMIUM_PATH`);
  }
  await mkdir(artifacts, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Everything a page reports as an error: console errors, uncaught exceptions, failed requests. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => {
    // A cancelled task's pending requests are aborted on purpose; a refused one is not.
    if (request.failure()?.errorText !== 'net::ERR_ABORTED') errors.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  return errors;
}
