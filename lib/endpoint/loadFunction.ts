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
  return functionFromSource(name, source);
}

/**
 * Compiles one function's source as the endpoint does: a function expression, or a method
 * shorthand. `function register` checks files with it before anything is sent.
 *
 * @param name - the function's name, for the error
 * @param source - its source text
 * @param compileWith - how to evaluate `return (<source>)` (the endpoint: `new Function`; the CLI: a bare `vm` context)
 * @returns the function
 * @throws {@link SerializationError} when the source is not one JavaScript function
 * @example
 * ```ts
 * functionFromSource('double', '(x) => x * 2')(21); // 42
 * ```
 */
export function functionFromSource(name: string, source: string, compileWith: (source: string) => unknown = compile): RemoteFunction {
  const text = source.trim();
  let value: unknown;
  try {
    value = compileWith(text);
  } catch (error) {
    // A vm context has its own SyntaxError (and Error): compare names, not classes.
    if ((error as { name?: unknown } | null)?.name !== 'SyntaxError') throw error;
    // Method shorthand (`scale(x) {}` or `async scale(x) {}`) is not an expression on its own.
    const shorthand = /^async\s+/.test(text) ? `async function ${text.replace(/^async\s+/, '')}` : `function ${text}`;
    try {
      value = compileWith(shorthand);
    } catch {
      throw new SerializationError(`The source of \`${name || 'anonymous'}\` is not a JavaScript function expression: ${(error as Error).message}`, { method: Method.JS_FUNCTION, cause: error });
    }
  }
  if (typeof value !== 'function') throw new SerializationError(`The source of \`${name || 'anonymous'}\` evaluates to ${value === null ? 'null' : `a ${typeof value}`}, not a function`, { method: Method.JS_FUNCTION });
  return value as RemoteFunction;
}
