/**
 * The remote functions, as source text: a string reaches the service exactly as written,
 * whatever the build does to the app's own code. Each is self-contained and uses only globals.
 */
export const SQUARE = {
  name: 'square',
  source: `async (x) => {
    await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
    if (x < 0) throw new RangeError('no squares of negative numbers here');
    return x * x;
  }`,
} as const;

/** Resolves after `ms` milliseconds: a long task to cancel. */
export const NAP = {
  name: 'nap',
  source: '(ms) => new Promise((resolve) => setTimeout(() => resolve(ms), ms))',
} as const;

export type Square = (x: number) => Promise<number>;
export type Nap = (ms: number) => Promise<number>;
