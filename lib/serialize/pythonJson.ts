const QUICK = /[,:.eE\u007f-\uffff]/;

/**
 * A float as Python's `repr` writes it: the same shortest digits as JavaScript, but an exponent
 * below 1e-4 or from 1e16 up, with two digits at least (`1e-05`, `1e+16`), and `.0` on whole values.
 */
function floatRepr(x: number): string {
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const point = Number(exponent) + 1;
  let text: string;
  if (point <= -4 || point > 16) {
    const e = point - 1;
    text = `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  } else if (point <= 0) {
    text = `0.${'0'.repeat(-point)}${digits}`;
  } else if (point >= digits.length) {
    text = `${digits}${'0'.repeat(point - digits.length)}.0`;
  } else {
    text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  return negative ? `-${text}` : text;
}

/**
 * Rewrites compact JSON (as `JSON.stringify` makes it) the way Python's `json.dumps` writes the
 * same data: `", "` and `": "` between items, non-ASCII characters escaped as `\uXXXX`, floats as
 * Python's `repr`. So a payload made here is, byte for byte, what the Globus Compute SDK sends
 * for the same arguments (JavaScript numbers that are whole are written as Python ints).
 *
 * @param json - the output of `JSON.stringify` without indentation
 * @returns the same JSON in `json.dumps`'s default format
 * @example
 * ```ts
 * toPythonJson('{"a":[1,2.5e-7,"é"]}'); // '{"a": [1, 2.5e-07, "\\u00e9"]}'
 * ```
 */
export function toPythonJson(json: string): string {
  if (!QUICK.test(json)) return json;
  return json.replace(TOKEN, rewrite);
}

// Strings (unrolled, so long ones need no backtracking), separators, and numbers; everything else
// (literals, brackets) stays as it is.
const TOKEN = /"[^"\\]*(?:\\.[^"\\]*)*"|[,:]|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
const NON_ASCII = /[\u007f-\uffff]/g;
const SMALL_FRACTION = /^-?0\.000/;

const escapeCodeUnit = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

function rewrite(token: string): string {
  const first = token.charCodeAt(0);
  if (first === 0x22 /* " */) return token.replace(NON_ASCII, escapeCodeUnit);
  if (first === 0x2c /* , */ || first === 0x3a /* : */) return `${token} `;
  // Whole numbers, and fractions from 1e-4 up without an exponent, are written alike by both.
  if (token.indexOf('e') < 0 && token.indexOf('E') < 0 && (token.indexOf('.') < 0 || !SMALL_FRACTION.test(token))) return token;
  return floatRepr(Number(token));
}
