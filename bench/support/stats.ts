/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** The p-th percentile (0–100) by linear interpolation between closest ranks. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

/** Runs `work` `times` times in a row and returns each result. */
export async function repeat<T>(times: number, work: (run: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < times; i++) out.push(await work(i));
  return out;
}

/**
 * A figure as the bench reports it: the median of repeats, with their range.
 *
 * @param values - one figure per repeat
 * @returns the median, and the min–max range as text for a row's note
 */
export function summary(values: readonly number[]): { median: number; range: string } {
  const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
  return { median: median(values), range: `median of ${values.length}, min–max ${fmt(Math.min(...values))}–${fmt(Math.max(...values))}` };
}
