import { encodeBase64BytesLines } from './base64Lines.js';
/**
 * A remote exception as the funcX SDK 0.3.x reads one: `00` (base64 of a pickle, in MIME lines)
 * of an exception wrapper, written here by hand for errors the endpoint or the service makes
 * itself (a time limit, a crashed worker, a cancel), which no Python process pickles. The wrapper
 * is what the Python worker writes (lib/endpoint/python/worker.py, `pickled_wrapper`): a
 * `types.SimpleNamespace` whose `e_value` is the pickle of a builtin `Exception` and whose
 * `reraise` is `functools.partial(exec, "import pickle\nraise pickle.loads(e_value)", {...})`,
 * so a client unpickles it with the standard library alone. Browser-safe.
 */

const encoder = new TextEncoder();

/** Pickle protocol 3 opcodes used here. */
const OP = {
  PROTO: 0x80,
  GLOBAL: 0x63, // c: module\nname\n
  EMPTY_TUPLE: 0x29,
  NEWOBJ: 0x81,
  EMPTY_DICT: 0x7d,
  MARK: 0x28,
  SETITEMS: 0x75,
  BUILD: 0x62,
  TUPLE: 0x74,
  TUPLE1: 0x85,
  REDUCE: 0x52,
  NONE: 0x4e,
  BINUNICODE: 0x58, // X: 4-byte little-endian length, UTF-8
  BINBYTES: 0x42, // B: 4-byte little-endian length, bytes
  STOP: 0x2e,
} as const;

class PickleWriter {
  readonly #parts: number[] = [];
  op(...codes: number[]): this {
    this.#parts.push(...codes);
    return this;
  }
  global(module: string, name: string): this {
    this.#parts.push(OP.GLOBAL, ...encoder.encode(`${module}\n${name}\n`));
    return this;
  }
  str(text: string): this {
    return this.#sized(OP.BINUNICODE, encoder.encode(text));
  }
  bytes(data: Uint8Array): this {
    return this.#sized(OP.BINBYTES, data);
  }
  done(): Uint8Array {
    return Uint8Array.from([...this.#parts, OP.STOP]);
  }
  #sized(code: number, data: Uint8Array): this {
    const n = data.length;
    this.#parts.push(code, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
    for (const byte of data) this.#parts.push(byte);
    return this;
  }
}


/**
 * The `00` value of a remote exception for the funcX SDK 0.3.x: its `get_result` re-raises an
 * `Exception` whose message is `"<name>: <message>"` and carries the remote stack, and its result
 * socket reads the same exception from `e_value`.
 *
 * @param name - the error's type name (`TaskTimeout`)
 * @param message - its message
 * @param stack - where it happened, appended to the message when not empty
 * @returns `"00\n<base64 lines>"`
 * @example
 * ```ts
 * pickleRemoteException('TaskTimeout', 'The task ran past its limit of 1000 ms', '');
 * ```
 */
export function pickleRemoteException(name: string, message: string, stack: string): string {
  const text = stack.trim() === '' || stack.includes(message) ? `${name}: ${message}` : `${name}: ${message}\n${stack}`;
  const exception = new PickleWriter().op(OP.PROTO, 3).global('builtins', 'Exception').str(text).op(OP.TUPLE1, OP.REDUCE).done();
  const wrapper = new PickleWriter()
    .op(OP.PROTO, 3)
    .global('types', 'SimpleNamespace')
    .op(OP.EMPTY_TUPLE, OP.NEWOBJ, OP.EMPTY_DICT, OP.MARK)
    .str('e_type').op(OP.NONE)
    .str('e_value').bytes(exception)
    .str('e_traceback').op(OP.NONE)
    .str('reraise')
    .global('functools', 'partial')
    .op(OP.MARK)
    .global('builtins', 'exec')
    .str('import pickle\nraise pickle.loads(e_value)')
    .op(OP.EMPTY_DICT, OP.MARK)
    .str('e_value').bytes(exception)
    .op(OP.SETITEMS, OP.TUPLE, OP.REDUCE)
    .op(OP.SETITEMS, OP.BUILD)
    .done();
  return `00\n${encodeBase64BytesLines(wrapper)}`;
}
