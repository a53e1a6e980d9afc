import { SerializationError } from '../errors/SerializationError.js';
import { Method } from '../serialize/methods.js';
import { unpack } from '../serialize/pack.js';
import { deserializeFunction } from '../serialize/serialize.js';

/** A function as the endpoint calls it. */
export type RemoteFunction = (...args: unknown[]) => unknown;

// tsx and esbuild (keepNames) insert `__name(fn, "x")` calls into function bodies, so the source
// of a function defined in a TypeScript file may call a helper the worker does not have.
const keepName = <T>(fn: T): T => fn;

function compile(source: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('__name', `return (${source}\n);`)(keepName);
}

/**
 * Turns registered function code (`pack([serializeFunction(fn)])`) into a callable. Plain,
 * arrow, async and method-shorthand (`name(x) { ... }`) sources work.
 *
 * @param functionCode - the code as registered
 * @returns the function
 * @throws {@link SerializationError} when the code is not one JavaScript function
 * @example
 * ```ts
 * const fn = loadFunction(pack([serializeFunction((x: number) => x * 2)]));
 * fn(21); // 42
 * ```
 */
export function loadFunction(functionCode: string): RemoteFunction {
  const buffers = unpack(functionCode);
  if (buffers.length !== 1) throw new SerializationError(`Function code packs 1 buffer, got ${buffers.length}`, { method: null });
  const { name, source } = deserializeFunction(buffers[0]!);
  const text = source.trim();
  let value: unknown;
  try {
    value = compile(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    // Method shorthand (`scale(x) {}` or `async scale(x) {}`) is not an expression on its own.
    const shorthand = /^async\s+/.test(text) ? `async function ${text.replace(/^async\s+/, '')}` : `function ${text}`;
    try {
      value = compile(shorthand);
    } catch {
      throw new SerializationError(`The source of \`${name || 'anonymous'}\` is not a JavaScript function expression: ${error.message}`, { method: Method.JS_FUNCTION, cause: error });
    }
  }
  if (typeof value !== 'function') throw new SerializationError(`The source of \`${name || 'anonymous'}\` does not evaluate to a function`, { method: Method.JS_FUNCTION });
  return value as RemoteFunction;
}
