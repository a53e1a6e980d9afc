/**
 * Serialization method ids: the two characters before the first newline of every serialized
 * value (docs/protocol.md §2, docs/serialization.md). `00`–`04` are funcX's Python ids; funcx-rx's JavaScript ids start at
 * `10` (docs/serialization.md).
 */
export const Method = {
  /** funcX: pickle of data, base64. Not readable from JavaScript. */
  PICKLE_DATA: '00',
  /** funcX: dill of a function. */
  DILL_FUNCTION: '01',
  /** funcX: pickle of a function. */
  PICKLE_FUNCTION: '02',
  /** funcX: base64 pickle of `(name, source)`. */
  PICKLE_SOURCE: '03',
  /** funcX: base64 pickle of `(name, source)`. */
  PICKLE_SOURCE_2: '04',
  /** funcx-rx: JSON text of a value. */
  JSON: '10',
  /** funcx-rx: JSON `{"name", "source"}` of a JavaScript function. */
  JS_FUNCTION: '11',
  /** funcx-rx: JSON `{"name", "message", "stack"}` of a JavaScript error. */
  JS_ERROR: '12',
} as const;

/** One of the values of {@link Method}. */
export type MethodId = (typeof Method)[keyof typeof Method];
