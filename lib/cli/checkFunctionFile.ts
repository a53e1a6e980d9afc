import { runInNewContext } from 'node:vm';
import { functionFromSource } from '../endpoint/loadFunction.js';

/** What a file of `function register` holds, told when it holds something else. */
const SHAPE = 'one self-contained function expression, such as `async (x) => x * 2` (no `export`, no `module.exports =`, no imports)';

/**
 * Checks that a file's text is one function expression, as the endpoint will compile it, in an
 * empty `vm` context (no `require`, no `process`; a second at most), so that a wrong file is
 * refused before it is registered rather than failing every task that runs it.
 *
 * @param file - the file's path, for the message
 * @param source - its text
 * @returns nothing
 * @throws Error naming the file, what it should hold, and why it does not
 * @example
 * ```ts
 * checkFunctionFile('double.js', 'module.exports = (x) => x * 2'); // throws: ... ReferenceError: module is not defined
 * ```
 */
export function checkFunctionFile(file: string, source: string): void {
  if (source === '') throw new Error(`${file} is empty; it must hold ${SHAPE}`);
  try {
    functionFromSource(file, source, (text) => runInNewContext(`(${text}\n)`, { __name: <T>(fn: T) => fn }, { timeout: 1000, filename: file }));
  } catch (error) {
    // Errors thrown inside the vm context are of its realm: read them by their fields.
    const { name, message, cause } = error as { name?: string; message?: string; cause?: { name?: string; message?: string } };
    const reason = cause?.message !== undefined ? `${cause.name}: ${cause.message}` : name === 'SerializationError' ? String(message) : `${String(name)}: ${String(message ?? error)}`;
    throw new Error(`${file} is not a function file: it must hold ${SHAPE}; ${reason}`, { cause: error });
  }
}
