/**
 * Helpers that transpilers and bundlers call from code they rewrote: async functions lowered to
 * generators (`__awaiter`, `__async`, `_asyncToGenerator`, `regeneratorRuntime`), object and
 * array spread, class fields. They live at the top of the bundle, not in the function, so a
 * function that calls one cannot run anywhere else.
 */
const NAMED_HELPERS =
  /\b(__awaiter|__generator|__async|_asyncToGenerator|asyncToGenerator|_regeneratorRuntime|regeneratorRuntime|__spreadValues|__spreadProps|__objRest|__spreadArray|__assign|__rest|_objectSpread2?|_toConsumableArray|_slicedToArray|_defineProperty|__publicField|__privateGet|__privateSet|__privateAdd)\b/;

/**
 * A minified helper has a one-letter name, so it is recognised by its call instead: a generator
 * handed to a function, as `M(this, null, function* () {...})` (esbuild), `n(this, void 0, void 0,
 * function* () {...})` (TypeScript) or `t(function* () {...})` (Babel).
 */
const MINIFIED_ASYNC_CALL = /[\w$]+\(\s*(?:this\s*,[^()]*?,\s*)?function\s*\*/;

/**
 * Finds a sign that a build rewrote a function so that it calls a helper outside it.
 *
 * @param source - a function's `toString()`
 * @returns the helper's name, or a description of the call, or null when there is none
 * @example
 * ```ts
 * findBundlerHelper('(x) => __async(this, null, function* () { return x; })'); // "__async"
 * findBundlerHelper('async (x) => x * 2'); // null
 * ```
 */
export function findBundlerHelper(source: string): string | null {
  const named = NAMED_HELPERS.exec(source);
  if (named) return named[1]!;
  const call = MINIFIED_ASYNC_CALL.exec(source);
  return call ? `${call[0].replace(/\s+/g, ' ')}` : null;
}
