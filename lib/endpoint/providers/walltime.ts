/**
 * Reads a walltime as Slurm writes it, `[days-]hours:minutes:seconds`, `minutes:seconds` or
 * `minutes`, or a number of seconds.
 *
 * @param value - such as `"00:30:00"`, `"1-12:00:00"` or `90`
 * @returns milliseconds, or undefined when it is not a walltime
 * @example
 * ```ts
 * parseWalltime('00:30:00'); // 1_800_000
 * ```
 */
export function parseWalltime(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.round(value * 1000) : undefined;
  const match = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(value.trim());
  if (match === null) return undefined;
  const [, days, a, b, c] = match;
  const parts = [a, b, c].filter((p) => p !== undefined).map(Number);
  // One part: minutes; two: minutes:seconds; three: hours:minutes:seconds (as sbatch --time).
  const seconds = parts.length === 1 ? parts[0]! * 60 : parts.length === 2 ? parts[0]! * 60 + parts[1]! : parts[0]! * 3600 + parts[1]! * 60 + parts[2]!;
  const total = (Number(days ?? 0) * 86_400 + seconds) * 1000;
  return total > 0 ? total : undefined;
}

/**
 * Writes milliseconds as `hours:minutes:seconds` (rounded up to a second), as `sbatch --time` takes.
 *
 * @param ms - a duration
 * @returns such as `"00:30:00"`
 * @example
 * ```ts
 * formatWalltime(90_000); // "00:01:30"
 * ```
 */
export function formatWalltime(ms: number): string {
  const total = Math.ceil(ms / 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(Math.floor(total / 3600))}:${two(Math.floor((total % 3600) / 60))}:${two(total % 60)}`;
}
