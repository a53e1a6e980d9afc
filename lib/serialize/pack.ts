import { SerializationError } from '../errors/SerializationError.js';

// funcX counts lengths in characters, as Python does: code points, not UTF-16 units.
const SURROGATE = /[\uD800-\uDFFF]/;

function codePointLength(text: string): number {
  if (!SURROGATE.test(text)) return text.length;
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Index in UTF-16 units that lies `count` code points after `start`. */
function advance(text: string, start: number, count: number): number {
  let i = start;
  for (let k = 0; k < count; k++) {
    if (i >= text.length) return -1;
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return i;
}

/**
 * Packs several serialized buffers into one string: `<length>\n<buffer>` one after another.
 *
 * @param buffers - serialized values
 * @returns the packed string
 * @example
 * ```ts
 * pack(['11\n[50]', '11\n{}']); // "7\n11\n[50]5\n11\n{}"
 * ```
 */
export function pack(buffers: readonly string[]): string {
  let out = '';
  for (const buffer of buffers) out += `${codePointLength(buffer)}\n${buffer}`;
  return out;
}

/**
 * Splits a packed string back into its buffers.
 *
 * @param packed - a string made by {@link pack} (or by funcX)
 * @returns the buffers, in order
 * @throws {@link SerializationError} when the string is not a valid packing
 * @example
 * ```ts
 * unpack('7\n11\n[50]5\n11\n{}'); // ['11\n[50]', '11\n{}']
 * ```
 */
export function unpack(packed: string): string[] {
  if (typeof packed !== 'string') throw new SerializationError('Expected a packed string', { method: null });
  const buffers: string[] = [];
  const plain = !SURROGATE.test(packed);
  let i = 0;
  while (i < packed.length) {
    const newline = packed.indexOf('\n', i);
    const header = newline === -1 ? '' : packed.slice(i, newline);
    if (!/^\d+$/.test(header)) {
      throw new SerializationError(`Malformed packed buffer at offset ${i}: expected "<length>\\n"`, { method: null });
    }
    const length = Number(header);
    const start = newline + 1;
    const end = plain ? start + length : advance(packed, start, length);
    if (end === -1 || end > packed.length) {
      throw new SerializationError(`Malformed packed buffer at offset ${i}: length ${length} runs past the end`, { method: null });
    }
    buffers.push(packed.slice(start, end));
    i = end;
  }
  return buffers;
}
