import { PYTHON_CODE_METHODS } from './methods.js';

/** The languages an endpoint can run. */
export type Language = 'javascript' | 'python';

/**
 * Which language registered function code is in, from its method id (the code is
 * `pack([serialize(fn)])`; its first buffer starts after the first newline).
 *
 * @param functionCode - the code as registered
 * @returns `python` for Globus Compute's code ids, `javascript` for anything else (a JavaScript worker then reports what is wrong with it)
 * @example
 * ```ts
 * codeLanguage(pack([serializePythonSource('f', 'def f(): pass\n')])); // "python"
 * ```
 */
export function codeLanguage(functionCode: string): Language {
  if (typeof functionCode !== 'string') return 'javascript';
  const newline = functionCode.indexOf('\n');
  if (newline < 0 || functionCode[newline + 3] !== '\n') return 'javascript';
  return PYTHON_CODE_METHODS.has(functionCode.slice(newline + 1, newline + 3)) ? 'python' : 'javascript';
}
