import { readFile, stat } from 'node:fs/promises';
import { Endpoint } from '../endpoint/Endpoint.js';
import { untilSignal } from './untilSignal.js';

/** The options `funcx-rx endpoint` takes. */
export interface EndpointCommandOptions {
  readonly service: string;
  readonly endpointId: string;
  readonly secretFile?: string;
  /** Deprecated: `ps` shows it to every user of the machine. */
  readonly secret?: string;
  readonly workers?: number;
  readonly taskTimeout?: number;
  readonly maxResultBytes?: number;
  readonly python?: string;
  readonly pythonWorkers?: number;
  readonly prefetch?: number;
}

function fail(message: string, code: number): void {
  process.stderr.write(`funcx-rx endpoint: ${message}\n`);
  process.exitCode = code;
}

/** The secret from the file, the environment, or (deprecated) the command line, in that order. */
async function readSecret(options: EndpointCommandOptions): Promise<string | undefined> {
  if (options.secretFile !== undefined) {
    const mode = (await stat(options.secretFile)).mode;
    if ((mode & 0o077) !== 0) process.stderr.write(`funcx-rx endpoint: warning: ${options.secretFile} can be read by other users (chmod 600 it)\n`);
    return (await readFile(options.secretFile, 'utf8')).trim();
  }
  if (process.env.FUNCX_ENDPOINT_SECRET) return process.env.FUNCX_ENDPOINT_SECRET;
  if (options.secret !== undefined) {
    process.stderr.write('funcx-rx endpoint: warning: --secret is deprecated: `ps` shows it to every user; use FUNCX_ENDPOINT_SECRET or --secret-file\n');
    return options.secret;
  }
  return undefined;
}

/**
 * `funcx-rx endpoint`: runs an endpoint for a service elsewhere until SIGINT or SIGTERM. It keeps
 * trying to connect, the first time too, and says on stderr why each attempt failed; when it
 * stops by itself (the service refuses its credentials) it says why and exits 1.
 *
 * @param options - the parsed command-line options
 * @returns when stopped
 * @example
 * ```sh
 * FUNCX_ENDPOINT_SECRET=... funcx-rx endpoint --service http://10.0.0.5:8080 --endpoint-id 3f... --workers 8
 * funcx-rx endpoint --service http://10.0.0.5:8080 --endpoint-id 3f... --secret-file ~/.funcx-rx/secret
 * ```
 */
export async function endpointCommand(options: EndpointCommandOptions): Promise<void> {
  let secret: string | undefined;
  try {
    secret = await readSecret(options);
  } catch (error) {
    return fail(`cannot read the secret file: ${(error as Error).message}`, 2);
  }
  if (!secret) return fail('give the endpoint secret in FUNCX_ENDPOINT_SECRET or with --secret-file <path>', 2);
  const endpoint = await Endpoint.start({
    serviceUrl: options.service,
    endpointId: options.endpointId,
    secret,
    retryFirstConnection: true,
    onConnectError: (error, retryInMs) => {
      process.stderr.write(`funcx-rx endpoint: cannot connect to ${options.service}: ${error.message || String(error)}; retrying in ${retryInMs} ms\n`);
    },
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.taskTimeout === undefined ? {} : { taskTimeoutMs: options.taskTimeout }),
    ...(options.maxResultBytes === undefined ? {} : { maxResultBytes: options.maxResultBytes }),
    ...(options.python === undefined ? {} : { python: options.python }),
    ...(options.pythonWorkers === undefined ? {} : { pythonWorkers: options.pythonWorkers }),
    ...(options.prefetch === undefined ? {} : { prefetch: options.prefetch }),
  });
  const py = endpoint.languages.python;
  process.stdout.write(`endpoint ${options.endpointId} connected to ${options.service}\n`);
  process.stdout.write(py.available ? `runs JavaScript and Python ${py.version} (${py.executable}${py.dill ? `, dill ${py.dill}` : ', no dill'})\n` : `runs JavaScript only: ${py.reason}\n`);
  const signal = untilSignal();
  const reason = await Promise.race([endpoint.stopped, signal.then(() => undefined)]);
  if (reason !== undefined) return fail(`stopped: ${reason.message}`, 1);
  await endpoint.close();
}
