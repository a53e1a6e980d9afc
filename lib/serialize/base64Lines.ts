/**
 * Base64 of a string's UTF-8 bytes in MIME lines, as Python's `codecs.encode(b, "base64")`
 * (`base64.encodebytes`) writes it: 76 characters a line, each line ended by `\n`. Browser-safe.
 *
 * @param text - any string
 * @returns the encoded lines, or `""` for the empty string
 * @example
 * ```ts
 * encodeBase64Lines('f:def f(): pass\n'); // "ZjpkZWYgZigpOiBwYXNzCg==\n"
 * ```
 */
export function encodeBase64Lines(text: string): string {
  return encodeBase64BytesLines(new TextEncoder().encode(text));
}

/**
 * Base64 of bytes in MIME lines, as {@link encodeBase64Lines} writes a string's.
 *
 * @param bytes - any bytes
 * @returns the encoded lines, or `""` for none
 * @example
 * ```ts
 * encodeBase64BytesLines(new Uint8Array([0x80, 0x04])); // "gAQ=\n"
 * ```
 */
export function encodeBase64BytesLines(bytes: Uint8Array): string {
  let binary = '';
  // In slices: String.fromCharCode(...bytes) overflows the stack for large sources.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  const flat = btoa(binary);
  let out = '';
  for (let i = 0; i < flat.length; i += 76) out += `${flat.slice(i, i + 76)}\n`;
  return out;
}

/**
 * Reads what {@link encodeBase64Lines} (or Python) wrote, ignoring line breaks.
 *
 * @param lines - base64 text
 * @returns the decoded UTF-8 string
 * @throws Error when the text is not base64 or not UTF-8
 * @example
 * ```ts
 * decodeBase64Lines('ZjpkZWYgZigpOiBwYXNzCg==\n'); // "f:def f(): pass\n"
 * ```
 */
export function decodeBase64Lines(lines: string): string {
  const binary = atob(lines.replace(/\s+/g, ''));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}
