import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { FuncXClient } from '../client/FuncXClient.js';
import { checkFunctionFile } from './checkFunctionFile.js';

/** The options `funcx-rx function register` takes. */
export interface RegisterFunctionCommandOptions {
  readonly service?: string;
  readonly token?: string;
  readonly name?: string;
  readonly description?: string;
  readonly json?: boolean;
}

/**
 * `funcx-rx function register <file>`: registers the function whose source text is in a file
 * (one self-contained function expression, such as `async (x) => x * 2`), and prints its id.
 * Browser apps run functions by such ids, so no bundler ever sees the code that runs remotely.
 * A file that holds anything else (`module.exports = ...`, `export default ...`) is refused
 * with the reason, and nothing is registered.
 *
 * @param file - the file holding the function's source
 * @param options - service URL and token (default `$FUNCX_SERVICE_URL`, `$FUNCX_TOKEN`), name, description, `--json`
 * @returns when registered
 * @example
 * ```sh
 * FUNCX_SERVICE_URL=http://127.0.0.1:8080 FUNCX_TOKEN=... funcx-rx function register functions/double.js
 * ```
 */
export async function registerFunctionCommand(file: string, options: RegisterFunctionCommandOptions): Promise<void> {
  const source = (await readFile(file, 'utf8')).trim().replace(/;$/, '');
  checkFunctionFile(file, source);
  const name = options.name ?? basename(file, extname(file));
  const client = new FuncXClient({
    ...(options.service === undefined ? {} : { serviceUrl: options.service }),
    ...(options.token === undefined ? {} : { token: options.token }),
  });
  const functionId = await client.registerFunction({ name, source }, options.description === undefined ? {} : { description: options.description });
  process.stdout.write(options.json ? `${JSON.stringify({ function_id: functionId, name })}\n` : `${functionId}\n`);
}
