/**
 * Quotes one word for a POSIX shell, so a job script runs the manager command exactly as given.
 *
 * @param word - a program or argument
 * @returns the word, single-quoted when it holds anything but safe characters
 * @example
 * ```ts
 * shellQuote("it's"); // 'it'\''s'
 * ```
 */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
