import { SerializationError } from '../errors/SerializationError.js';
import { Method } from '../serialize/methods.js';
import type { AnyFunction } from './FunctionId.js';

declare const signature: unique symbol;

/**
 * A Python function to register: its name and its source, which must define that name at its
 * top level. The type parameter is the call signature as TypeScript should see it; it exists only
 * in the type system and types the `FunctionId` that registering returns.
 *
 * @example
 * ```ts
 * const double: PythonFunction<(x: number) => number> = { language: 'python', name: 'double', source: 'def double(x):\n    return x * 2\n' };
 * ```
 */
export interface PythonFunction<F extends AnyFunction = PythonSignature> {
  readonly language: 'python';
  /** The name the endpoint calls, bound by `source`. */
  readonly name: string;
  /** Python source defining `name` at its top level. */
  readonly source: string;
  readonly [signature]?: F;
}

/** The signature of a Python function nothing more is said about: any arguments, any result. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PythonSignature = (...args: any[]) => any;

/** The signature a {@link PythonFunction} stands for. */
export type SignatureOf<P> = P extends PythonFunction<infer F> ? F : never;

/**
 * Whether a value is a {@link PythonFunction}.
 *
 * @param value - anything
 * @returns true for `{ language: 'python', name, source }`
 * @example
 * ```ts
 * isPythonFunction(python`def f(): pass`); // true
 * ```
 */
export function isPythonFunction(value: unknown): value is PythonFunction {
  return typeof value === 'object' && value !== null && (value as { language?: unknown }).language === 'python';
}

/** Removes the indentation every non-blank line shares, as Python's `textwrap.dedent`. */
function dedent(text: string): string {
  const lines = text.replace(/^[ \t]*\r?\n/, '').split('\n');
  const margins = lines.filter((line) => line.trim() !== '').map((line) => /^[ \t]*/.exec(line)![0].length);
  const margin = margins.length === 0 ? 0 : Math.min(...margins);
  const body = lines.map((line) => line.slice(Math.min(margin, /^[ \t]*/.exec(line)![0].length))).join('\n').replace(/\s+$/, '');
  return `${body}\n`;
}

/**
 * Checks a Python function's name and source, giving the source the trailing newline
 * `inspect.getsource` would.
 *
 * @param fn - name and source
 * @returns the checked function
 * @throws {@link SerializationError} for an empty source or a name that is not a Python identifier
 * @example
 * ```ts
 * checkPythonFunction({ language: 'python', name: 'f', source: 'def f(): pass' }).source; // "def f(): pass\n"
 * ```
 */
export function checkPythonFunction<F extends AnyFunction>(fn: PythonFunction<F>): PythonFunction<F> {
  const { name, source } = fn;
  if (typeof name !== 'string' || !/^[A-Za-z_]\w*$/u.test(name)) {
    throw new SerializationError(`Expected \`name\` to be a Python identifier, got \`${String(name)}\` (${typeof name})`, { method: Method.PURE_SOURCE_TEXT_INSPECT });
  }
  if (typeof source !== 'string' || source.trim() === '') {
    throw new SerializationError(`Expected \`source\` to be Python source defining \`${name}\`, got \`${String(source)}\``, { method: Method.PURE_SOURCE_TEXT_INSPECT });
  }
  return { language: 'python', name, source: source.endsWith('\n') ? source : `${source}\n` } as PythonFunction<F>;
}

/**
 * Python source as a function to register: a tagged template whose text is dedented and whose
 * name is the first top-level `def` (or `async def`). Give the call signature as a type argument
 * so the `FunctionId` that registering returns types `run`.
 *
 * @param strings - the template's text
 * @param values - interpolated values, written into the source as text
 * @returns the Python function
 * @throws {@link SerializationError} when the source has no top-level `def`
 * @example
 * ```ts
 * import { python } from 'funcx-rx';
 * const double = python<(x: number) => number>`
 *   def double(x):
 *       return x * 2
 * `;
 * const functionId = await fxc.registerFunction(double); // FunctionId<(x: number) => number>
 * ```
 */
export function python<F extends AnyFunction = PythonSignature>(strings: TemplateStringsArray, ...values: unknown[]): PythonFunction<F> {
  const source = dedent(String.raw({ raw: strings }, ...values));
  const name = /^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)/mu.exec(source)?.[1];
  if (name === undefined) {
    throw new SerializationError('Python source for `python`...`` needs a top-level `def name(...)`: the first one names the function', { method: Method.PURE_SOURCE_TEXT_INSPECT });
  }
  return checkPythonFunction<F>({ language: 'python', name, source });
}
