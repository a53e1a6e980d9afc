import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the real funcX and Globus Compute SDKs are vendored, unmodified: beside the repository
 * (`../shared/python-sdks`), or where `FUNCX_PYTHON_SDKS` says. A user's clone has none; the
 * interop specs then skip, saying so.
 */
export const PYTHON_SDKS = process.env.FUNCX_PYTHON_SDKS ?? resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/python-sdks');

/** Debian's CPython, which `.ci/run` gives the SDKs' dependencies (python3-requests, python3-dill, ...). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/**
 * Why an SDK's interop spec cannot run here, or null when it can.
 *
 * @param sdk - the SDK's folder under {@link PYTHON_SDKS}
 * @returns the reason to skip, or null
 */
export function missingSdk(sdk: string): string | null {
  const dir = join(PYTHON_SDKS, sdk);
  if (!existsSync(dir)) return `the vendored SDK is not at ${dir} (set FUNCX_PYTHON_SDKS to the folder that holds ${sdk}/)`;
  if (!existsSync(DEBIAN_PYTHON)) return `${DEBIAN_PYTHON} is missing (.ci/run installs Debian's python3 and the SDKs' python3-* packages)`;
  return null;
}

/** What a check script reports for one check: the value the SDK returned, or what it raised. */
export interface CheckOutcome {
  readonly value?: unknown;
  readonly error?: string;
  readonly traceback?: string;
  readonly seconds: number;
}

/**
 * Runs one of spec/interop's check scripts on Debian's CPython with the SDK on `PYTHONPATH`, and
 * reads the JSON line it prints.
 *
 * @param script - the script's file name in spec/interop
 * @param sdk - the SDK's folder under {@link PYTHON_SDKS}
 * @param env - FXRX_* settings, and HOME
 * @returns each check's outcome, by name
 */
export function runChecks(script: string, sdk: string, env: Record<string, string>): Promise<Record<string, CheckOutcome>> {
  const path = fileURLToPath(new URL(`../interop/${script}`, import.meta.url));
  return new Promise((resolvePromise, reject) => {
    execFile(
      DEBIAN_PYTHON,
      [path],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...env, PYTHONPATH: join(PYTHON_SDKS, sdk) }, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const line = String(stdout).trim().split('\n').pop() ?? '';
        try {
          resolvePromise(JSON.parse(line) as Record<string, CheckOutcome>);
        } catch {
          reject(new Error(`${script} printed no result (${error?.message ?? 'exit 0'}):\n${String(stdout).slice(-2000)}\n${String(stderr).slice(-4000)}`));
        }
      },
    );
  });
}

/**
 * A scratch HOME for an SDK run: funcX 0.3.4 writes its token folder there, and globus-sdk 2.x
 * reads `.globus.cfg` from it, which sends its one Globus Auth call (`oauth2_userinfo`) to a
 * stub on loopback answering `{"sub": <userId>}`.
 *
 * @param userId - what the stub says the user is
 * @returns HOME, the environment name to set as GLOBUS_SDK_ENVIRONMENT, the stub's request count, and `close()`
 */
export async function scratchHome(userId: string): Promise<{ home: string; environment: string; authRequests: () => number; close(): Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'funcx-rx-sdk-home-'));
  let requests = 0;
  const stub: Server = createServer((request, response) => {
    requests++;
    request.resume();
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ sub: userId }));
  });
  await new Promise<void>((done) => stub.listen(0, '127.0.0.1', done));
  const base = `http://127.0.0.1:${(stub.address() as { port: number }).port}/`;
  await writeFile(join(home, '.globus.cfg'), `[environment funcxrx]\nauth_service = ${base}\nsearch_service = ${base}\n`);
  return {
    home,
    environment: 'funcxrx',
    authRequests: () => requests,
    close: async () => {
      stub.closeAllConnections();
      await new Promise<void>((done) => stub.close(() => done()));
      await rm(home, { recursive: true, force: true });
    },
  };
}

/**
 * A check's value; a failure shows what the SDK raised, with its traceback.
 *
 * @param outcome - the check's outcome, as the Python side reported it
 * @returns its value
 */
export function valueOf(outcome: CheckOutcome | undefined): unknown {
  assert.ok(outcome, 'the check did not run');
  assert.equal(outcome.error, undefined, `${outcome.error}\n${outcome.traceback ?? ''}`);
  return outcome.value;
}
