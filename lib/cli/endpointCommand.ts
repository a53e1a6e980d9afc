import { Endpoint } from '../endpoint/Endpoint.js';
import { untilSignal } from './untilSignal.js';

/** The options `funcx-rx endpoint` takes. */
export interface EndpointCommandOptions {
  readonly service: string;
  readonly endpointId: string;
  readonly secret?: string;
  readonly workers?: number;
  readonly taskTimeout?: number;
  readonly python?: string;
  readonly pythonWorkers?: number;
  readonly prefetch?: number;
}

/**
 * `funcx-rx endpoint`: runs an endpoint for a service elsewhere until SIGINT or SIGTERM.
 *
 * @param options - the parsed command-line options
 * @returns when stopped
 * @example
 * ```sh
 * FUNCX_ENDPOINT_SECRET=... funcx-rx endpoint --service http://10.0.0.5:8080 --endpoint-id 3f... --workers 8
 * ```
 */
export async function endpointCommand(options: EndpointCommandOptions): Promise<void> {
  const secret = options.secret ?? process.env.FUNCX_ENDPOINT_SECRET;
  if (!secret) {
    process.stderr.write('funcx-rx endpoint: give the endpoint secret with --secret or FUNCX_ENDPOINT_SECRET\n');
    process.exitCode = 2;
    return;
  }
  const endpoint = await Endpoint.start({
    serviceUrl: options.service,
    endpointId: options.endpointId,
    secret,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.taskTimeout === undefined ? {} : { taskTimeoutMs: options.taskTimeout }),
    ...(options.python === undefined ? {} : { python: options.python }),
    ...(options.pythonWorkers === undefined ? {} : { pythonWorkers: options.pythonWorkers }),
    ...(options.prefetch === undefined ? {} : { prefetch: options.prefetch }),
  });
  const py = endpoint.languages.python;
  process.stdout.write(`endpoint ${options.endpointId} connected to ${options.service}\n`);
  process.stdout.write(py.available ? `runs JavaScript and Python ${py.version} (${py.executable}${py.dill ? `, dill ${py.dill}` : ', no dill'})\n` : `runs JavaScript only: ${py.reason}\n`);
  await untilSignal();
  await endpoint.close();
}
