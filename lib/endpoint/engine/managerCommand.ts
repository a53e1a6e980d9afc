import { fileURLToPath } from 'node:url';

/**
 * The command that starts this package's CLI with the Node that runs the endpoint: the
 * compiled CLI, or the TypeScript source under tsx when the endpoint itself runs from source.
 *
 * @returns the program and its first arguments; `worker-manager ...` goes after them
 * @example
 * ```ts
 * spawn(...[...defaultManagerCommand(), 'worker-manager', '--interchange', url]);
 * ```
 */
export function defaultManagerCommand(): string[] {
  const fromSource = import.meta.url.endsWith('.ts');
  const cli = fileURLToPath(new URL(fromSource ? '../../cli/main.ts' : '../../cli/main.js', import.meta.url));
  return fromSource ? [process.execPath, '--import', import.meta.resolve('tsx'), cli] : [process.execPath, cli];
}
