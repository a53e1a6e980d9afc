/**
 * Serialization method ids: the two characters before the first newline of every serialized
 * value (docs/protocol.md §2). Every id Globus Compute (funcX) defines keeps Globus Compute's meaning
 * here; funcx-rx's own ids (`js`, `je`) are ones Globus Compute does not use
 * (docs/serialization.md has the full table).
 */
export const Method = {
  /** Globus Compute DillDataBase64: base64 of `dill.dumps(data)`. */
  DILL_DATA: '00',
  /** Globus Compute DillCode: base64 of `dill.dumps(function)`. */
  DILL_CODE: '01',
  /** Globus Compute PickleCode (deprecated): base64 of `pickle.dumps(function)`. */
  PICKLE_CODE: '02',
  /** Globus Compute DillCodeTextInspect: base64 of `dill.dumps((name, inspect.getsource(fn)))`. */
  DILL_CODE_TEXT_INSPECT: '03',
  /** Globus Compute DillCodeSource: base64 of `dill.dumps((name, dill.source.getsource(fn)))`. */
  DILL_CODE_SOURCE: '04',
  /** Globus Compute CombinedCode: `<id>\n:<body>` chunks of `04`, `01`, `03`, `sd`, `st` joined by `:`. */
  COMBINED_CODE: '10',
  /** Globus Compute JSONData: `json.dumps(data)`. funcx-rx's data method. */
  JSON_DATA: '11',
  /** Globus Compute AllCodeStrategies: packed `st`, `sd` and `01` serializations of one function. */
  ALL_CODE: '12',
  /** Globus Compute AllDataStrategies: packed `11` and `00` serializations of one value. */
  ALL_DATA: '13',
  /** Globus Compute PureSourceTextInspect: base64 of `name:source` (source by `inspect.getsource`). */
  PURE_SOURCE_TEXT_INSPECT: 'st',
  /** Globus Compute PureSourceDill: base64 of `name:source` (source by `dill.source.getsource`). */
  PURE_SOURCE_DILL: 'sd',
  /** funcx-rx: JSON `{"name", "source"}` of a JavaScript function. */
  JS_FUNCTION: 'js',
  /** funcx-rx: JSON `{"name", "message", "stack"}` of an error (JavaScript's or Python's). */
  ERROR: 'je',
} as const;

/** One of the values of {@link Method}. */
export type MethodId = (typeof Method)[keyof typeof Method];

/** Ids that hold Python code: only a Python worker can load them. */
export const PYTHON_CODE_METHODS: ReadonlySet<string> = new Set([
  Method.DILL_CODE,
  Method.PICKLE_CODE,
  Method.DILL_CODE_TEXT_INSPECT,
  Method.DILL_CODE_SOURCE,
  Method.COMBINED_CODE,
  Method.ALL_CODE,
  Method.PURE_SOURCE_TEXT_INSPECT,
  Method.PURE_SOURCE_DILL,
]);
