/**
 * Packs channel messages into text frames of at most `limitBytes` bytes each: one JSON array per
 * frame, in order. Each message is stringified on its own, so a batch of large messages never
 * builds one string past V8's limit; a single message larger than the limit goes alone in its
 * frame (the caller decides whether it may be sent at all).
 *
 * @param messages - the messages, in sending order
 * @param limitBytes - the frame size to stay under, in UTF-8 bytes
 * @returns the frames, lazily
 * @example
 * ```ts
 * for (const frame of packFrames(batch, FRAME_LIMIT_BYTES)) socket.send(frame);
 * ```
 */
export function* packFrames(messages: Iterable<unknown>, limitBytes: number): Generator<string> {
  let parts: string[] = [];
  let size = 2; // the brackets
  for (const message of messages) {
    const json = JSON.stringify(message);
    const bytes = Buffer.byteLength(json);
    if (parts.length > 0 && size + 1 + bytes > limitBytes) {
      yield `[${parts.join(',')}]`;
      parts = [];
      size = 2;
    }
    size += (parts.length > 0 ? 1 : 0) + bytes;
    parts.push(json);
  }
  if (parts.length > 0) yield `[${parts.join(',')}]`;
}
