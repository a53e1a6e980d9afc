import { SerializationError } from '../errors/SerializationError.js';
import { encodeBase64Lines } from './base64Lines.js';
import { findBundlerHelper } from './findBundlerHelper.js';
import { Method, PYTHON_CODE_METHODS } from './methods.js';
import { pack, unpack } from './pack.js';
import { toPythonJson } from './pythonJson.js';
import { markedTaskId, resolveTaskInputs, TASK_INPUTS_METHOD } from './taskInputs.js';

function rejectUnserializable(this: unknown, key: string, value: unknown): unknown {
  // JSON.stringify would silently drop these or throw an unhelpful TypeError.
  const kind = typeof value;
  if (kind === 'function' || kind === 'symbol' || kind === 'bigint') {
    const where = key === '' ? 'the value' : `key \`${key}\``;
    throw new SerializationError(`Cannot serialize ${where}: a ${kind} is not JSON data`, { method: Method.JSON_DATA });
  }
  return value;
}

/** The replacer that also notes each task marker it writes (a task reference's `toJSON` made it). */
function noteInputs(inputs: Set<string>): (this: unknown, key: string, value: unknown) => unknown {
  return function (this: unknown, key: string, value: unknown): unknown {
    const id = markedTaskId(value);
    if (id !== null) inputs.add(id);
    return rejectUnserializable.call(this, key, value);
  };
}

/**
 * Serializes a data value as Globus Compute's JSONData (`11`), written as Python's `json.dumps`
 * writes it, so the Python SDK and a Python worker read it as their own.
 *
 * @param value - JSON data; `undefined` becomes `null`, as do non-finite numbers
 * @param inputs - when given, the id of each task marker written (a task reference's `toJSON`) is added to it
 * @returns `"11\n<json>"`
 * @throws {@link SerializationError} for functions, symbols, BigInts and cycles
 * @example
 * ```ts
 * serialize([50, { by: 2 }]); // '11\n[50, {"by": 2}]'
 * ```
 */
export function serialize(value: unknown, inputs?: Set<string>): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value, inputs === undefined ? rejectUnserializable : noteInputs(inputs));
  } catch (error) {
    if (error instanceof SerializationError) throw error;
    throw new SerializationError(`Cannot serialize the value: ${(error as Error).message}`, { method: Method.JSON_DATA, cause: error });
  }
  return `${Method.JSON_DATA}\n${json === undefined ? 'null' : toPythonJson(json)}`;
}

/** Splits `"<id>\n<body>"`, checking the header. */
function split(buffer: string): { method: string; body: string } {
  if (typeof buffer !== 'string' || buffer.length < 3 || buffer[2] !== '\n') {
    throw new SerializationError('Malformed serialized value: expected a two-character method id and a newline', { method: null });
  }
  return { method: buffer.slice(0, 2), body: buffer.slice(3) };
}

function unsupported(method: string, expected: 'data' | 'a JavaScript function'): SerializationError {
  if (method === Method.DILL_DATA) {
    return new SerializationError('Method 00 (DillDataBase64) is a Python pickle, which JavaScript cannot read', { method });
  }
  if (PYTHON_CODE_METHODS.has(method)) {
    return new SerializationError(`Method ${method} is Python code, not ${expected}: only a Python worker can load it`, { method });
  }
  const known = (Object.values(Method) as string[]).includes(method);
  return new SerializationError(
    known ? `Method ${method} holds something other than ${expected}` : `Unknown serialization method ${JSON.stringify(method)}`,
    { method },
  );
}

function parseJson(body: string, method: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new SerializationError(`Malformed JSON in a method ${method} value`, { method, cause: error });
  }
}

/**
 * Reads data: JSONData (`11`), or the JSONData part of Globus Compute's AllDataStrategies (`13`),
 * which the Python SDK sends by default.
 *
 * @param buffer - a serialized value
 * @returns the value
 * @throws {@link SerializationError} for malformed buffers and methods JavaScript cannot read (a dill pickle)
 * @example
 * ```ts
 * deserialize('11\n100'); // 100
 * ```
 */
export function deserialize(buffer: string): unknown {
  const { method, body } = split(buffer);
  if (method === Method.JSON_DATA) return parseJson(body, method);
  if (method === Method.ALL_DATA) {
    const json = unpack(body).find((part) => part.startsWith(`${Method.JSON_DATA}\n`));
    if (json === undefined) throw new SerializationError('This method 13 value has no JSONData (11) part, only pickles JavaScript cannot read', { method });
    return parseJson(json.slice(3), Method.JSON_DATA);
  }
  throw unsupported(method, 'data');
}

/** A JavaScript function as it travels: its name and its source text. */
export interface FunctionSource {
  readonly name: string;
  readonly source: string;
}

/**
 * Serializes a JavaScript function as its source text (funcx-rx's method `js`). The function must be self-contained:
 * it runs in a worker far from the variables around it, and may `await import()` what it needs.
 *
 * @param fn - a plain, arrow or async function
 * @returns `"js\n{"name", "source"}"`
 * @throws {@link SerializationError} for native and bound functions and classes, which have no usable source, and
 * for functions a build rewrote to call its helpers (see {@link serializeFunctionSource})
 * @example
 * ```ts
 * serializeFunction((x: number) => x * 2); // 'js\n{"name":"","source":"(x) => x * 2"}'
 * ```
 */
export function serializeFunction(fn: (...args: never[]) => unknown): string {
  if (typeof fn !== 'function') {
    throw new SerializationError(`Expected a function, got \`${String(fn)}\` (${typeof fn})`, { method: Method.JS_FUNCTION });
  }
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new SerializationError(`Function \`${fn.name}\` has no JavaScript source (native or bound), so it cannot run remotely`, { method: Method.JS_FUNCTION });
  }
  if (/^class\b/.test(source)) {
    throw new SerializationError(`\`${fn.name}\` is a class, not a function`, { method: Method.JS_FUNCTION });
  }
  const helper = findBundlerHelper(source);
  if (helper !== null) {
    const name = fn.name || 'anonymous';
    throw new SerializationError(
      `Function \`${name}\` was rewritten by a bundler or transpiler: its source calls \`${helper}\`, a helper that exists only in your bundle, ` +
        'so it cannot run remotely (async functions are rewritten so when a build targets older JavaScript, as Angular does with zone.js). ' +
        `Register it by source text, which builds leave alone: registerFunction({ name: '${name}', source: 'async (x) => ...' }); ` +
        'or register it once on the server side or with `funcx-rx function register <file>`, and run it by id.',
      { method: Method.JS_FUNCTION },
    );
  }
  return `${Method.JS_FUNCTION}\n${JSON.stringify({ name: fn.name, source })}`;
}

/**
 * Serializes a JavaScript function given as source text (method `js`), for code a bundler must not touch:
 * a string survives any build as it is, while a function's `toString()` shows what the build
 * made of it.
 *
 * @param fn - `name`: how it is listed; `source`: one function expression (`async (x) => x * 2`,
 * `function f(x) { ... }`), self-contained
 * @returns `"js\n{"name", "source"}"`
 * @throws {@link SerializationError} when `name` or `source` is not a string, or `source` is empty
 * @example
 * ```ts
 * serializeFunctionSource({ name: 'double', source: '(x) => x * 2' }); // 'js\n{"name":"double","source":"(x) => x * 2"}'
 * ```
 */
export function serializeFunctionSource(fn: FunctionSource): string {
  const { name, source } = (fn ?? {}) as Partial<FunctionSource>;
  if (typeof name !== 'string') {
    throw new SerializationError(`Expected \`name\` to be a string, got \`${String(name)}\` (${typeof name})`, { method: Method.JS_FUNCTION });
  }
  if (typeof source !== 'string' || source.trim() === '') {
    throw new SerializationError(`Expected \`source\` to be the non-empty source text of a function, got \`${String(source)}\` (${typeof source})`, { method: Method.JS_FUNCTION });
  }
  return `${Method.JS_FUNCTION}\n${JSON.stringify({ name, source })}`;
}

/**
 * Reads a function made by {@link serializeFunction}, without evaluating it.
 *
 * @param buffer - a serialized function
 * @returns its name and source
 * @throws {@link SerializationError} for other methods or a malformed body
 * @example
 * ```ts
 * deserializeFunction(serializeFunction(function f() {})).name; // "f"
 * ```
 */
export function deserializeFunction(buffer: string): FunctionSource {
  const { method, body } = split(buffer);
  if (method !== Method.JS_FUNCTION) throw unsupported(method, 'a JavaScript function');
  const parsed = parseJson(body, method) as Partial<FunctionSource> | null;
  if (typeof parsed?.source !== 'string' || typeof parsed.name !== 'string') {
    throw new SerializationError('A method js value needs string `name` and `source`', { method });
  }
  return { name: parsed.name, source: parsed.source };
}

/** A remote error as it travels: name, message and stack. */
export interface RemoteError {
  readonly name: string;
  readonly message: string;
  readonly stack: string;
}

/**
 * Serializes an error (funcx-rx's method `je`, which Python workers write too). Non-errors that
 * were thrown are described as such.
 *
 * @param error - anything that was thrown
 * @returns `"je\n{"name", "message", "stack"}"`
 * @example
 * ```ts
 * serializeError(new TypeError('boom')); // 'je\n{"name":"TypeError","message":"boom","stack":"..."}'
 * ```
 */
export function serializeError(error: unknown): string {
  const remote: RemoteError =
    error instanceof Error
      ? { name: error.name, message: error.message, stack: error.stack ?? '' }
      : { name: 'NonErrorThrown', message: `A non-error value was thrown: ${describe(error)}`, stack: '' };
  return `${Method.ERROR}\n${JSON.stringify(remote)}`;
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Reads an error made by {@link serializeError} (by a JavaScript or a Python worker). A Globus
 * Compute exception pickle, which JavaScript cannot read, is reported as such rather than thrown.
 *
 * @param buffer - a serialized error
 * @returns its name, message and stack
 * @example
 * ```ts
 * deserializeError(serializeError(new Error('x'))).message; // "x"
 * ```
 */
export function deserializeError(buffer: string): RemoteError {
  const { method, body } = split(buffer);
  if (method === Method.DILL_DATA || method === Method.ALL_DATA) {
    return { name: 'PythonException', message: 'The remote exception is a Python pickle, which JavaScript cannot read', stack: body };
  }
  if (method !== Method.ERROR) throw unsupported(method, 'data');
  const parsed = parseJson(body, method) as Partial<RemoteError> | null;
  return {
    name: typeof parsed?.name === 'string' ? parsed.name : 'Error',
    message: typeof parsed?.message === 'string' ? parsed.message : '',
    stack: typeof parsed?.stack === 'string' ? parsed.stack : '',
  };
}

/**
 * Packs a call's arguments as funcX does: `pack([serialize(args), serialize(kwargs)])`.
 *
 * @param args - positional arguments
 * @param kwargs - keyword arguments; JavaScript functions get them as one extra last argument when not empty
 * @param inputs - when given, the ids of the tasks the arguments stand for (task references, docs/protocol-extensions.md §12) are added to it
 * @returns the payload string
 * @example
 * ```ts
 * packPayload([50]); // "7\n11\n[50]5\n11\n{}"
 * ```
 */
export function packPayload(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>> = {}, inputs?: Set<string>): string {
  return pack([serialize(args, inputs), serialize(kwargs, inputs)]);
}

/**
 * Reads a payload made by {@link packPayload}, with the results of its inputs put in place of
 * their markers when it carries them (a third buffer, lib/serialize/taskInputs.ts).
 *
 * @param payload - a packed payload
 * @returns the positional and keyword arguments
 * @throws {@link SerializationError} when the payload is not two JSON buffers of the right shapes
 * @throws {@link TaskInputMissing} when an argument stands for an input whose result it does not carry
 * @example
 * ```ts
 * unpackPayload(packPayload([1, 2])); // { args: [1, 2], kwargs: {} }
 * ```
 */
export function unpackPayload(payload: string): { args: unknown[]; kwargs: Record<string, unknown> } {
  const buffers = unpack(payload);
  // A task with inputs carries their results in a third buffer (lib/serialize/taskInputs.ts).
  const inputs = buffers.length === 3 && buffers[2]!.startsWith(`${TASK_INPUTS_METHOD}\n`) ? (JSON.parse(buffers.pop()!.slice(3)) as Record<string, string>) : null;
  if (buffers.length !== 2) {
    throw new SerializationError(`A payload packs 2 buffers (args, kwargs), got ${buffers.length}`, { method: null });
  }
  const args = deserialize(buffers[0]!);
  const kwargs = deserialize(buffers[1]!);
  if (!Array.isArray(args)) throw new SerializationError('A payload\'s first buffer must be an array of arguments', { method: Method.JSON_DATA });
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
    throw new SerializationError('A payload\'s second buffer must be an object of keyword arguments', { method: Method.JSON_DATA });
  }
  if (inputs !== null) return { args: resolveTaskInputs(args, inputs, deserialize), kwargs: resolveTaskInputs(kwargs as Record<string, unknown>, inputs, deserialize) };
  return { args, kwargs: kwargs as Record<string, unknown> };
}

/**
 * Serializes Python source as Globus Compute's PureSourceTextInspect (`st`): base64, in MIME
 * lines, of `name:source`. This is byte for byte what the Python SDK sends for a function whose
 * `inspect.getsource` is `source`.
 *
 * @param name - the function's name: the endpoint calls what `source` binds to it
 * @param source - Python source that defines `name` at its top level
 * @returns `"st\n<base64 lines>"`
 * @example
 * ```ts
 * serializePythonSource('double', 'def double(x):\n    return x * 2\n');
 * ```
 */
export function serializePythonSource(name: string, source: string): string {
  return `${Method.PURE_SOURCE_TEXT_INSPECT}\n${encodeBase64Lines(`${name}:${source}`)}`;
}
