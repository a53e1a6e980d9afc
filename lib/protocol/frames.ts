/**
 * The one frame format of every funcx-rx WebSocket that carries batches (the endpoint channel
 * both ways, and batched result sockets, docs/protocol-extensions.md): a text frame holding one
 * JSON array of messages, in order, of at most a given size. A plain funcX result socket carries
 * one message per frame; {@link decodeFrame} reads both.
 */

/** One frame made by {@link packFrames}: its text, and which of the messages it holds (`from` to `to`, exclusive). */
export interface PackedFrame {
  readonly text: string;
  readonly from: number;
  readonly to: number;
}

const byteLength: (text: string) => number =
  (globalThis as { Buffer?: { byteLength(text: string): number } }).Buffer?.byteLength ?? ((text: string) => new TextEncoder().encode(text).length);

/**
 * Packs messages already encoded as JSON into frames of at most `limitBytes` UTF-8 bytes each, in
 * order. A message larger than the limit goes alone in its frame (the caller decides whether it
 * may be sent at all).
 *
 * @param jsons - each message's JSON, in sending order
 * @param limitBytes - the frame size to stay under
 * @returns the frames, lazily
 * @example
 * ```ts
 * for (const frame of packFrames(messages.map((m) => JSON.stringify(m)), FRAME_LIMIT_BYTES)) socket.send(frame.text);
 * ```
 */
export function* packFrames(jsons: readonly string[], limitBytes: number): Generator<PackedFrame> {
  let from = 0;
  let size = 2; // the brackets
  for (let i = 0; i < jsons.length; i++) {
    const bytes = byteLength(jsons[i]!);
    if (i > from && size + 1 + bytes > limitBytes) {
      yield { text: `[${jsons.slice(from, i).join(',')}]`, from, to: i };
      from = i;
      size = 2;
    }
    size += (i > from ? 1 : 0) + bytes;
  }
  if (jsons.length > from) yield { text: `[${jsons.slice(from).join(',')}]`, from, to: jsons.length };
}

/**
 * Encodes messages into frames, as {@link packFrames} packs them. Each message is stringified on
 * its own, so a batch of large messages never builds one string past V8's limit.
 *
 * @param messages - the messages, in sending order
 * @param limitBytes - the frame size to stay under
 * @returns the frames
 * @example
 * ```ts
 * for (const { text } of encodeFrames([{ type: 'cancel', task_id }], FRAME_LIMIT_BYTES)) socket.send(text);
 * ```
 */
export function encodeFrames(messages: readonly unknown[], limitBytes: number): PackedFrame[] {
  return [...packFrames(messages.map((m) => JSON.stringify(m)), limitBytes)];
}

/**
 * Reads a frame: a JSON array of messages, or one message alone (as funcX sends results).
 *
 * @param text - the frame's text
 * @returns its messages, or undefined when it is not JSON (the caller drops it, and says so)
 * @example
 * ```ts
 * const messages = decodeFrame(String(data)) ?? [];
 * ```
 */
export function decodeFrame(text: string): unknown[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined; // the answer says so: undefined is "not JSON"
  }
  return Array.isArray(parsed) ? parsed : [parsed];
}
