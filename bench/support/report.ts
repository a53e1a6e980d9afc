/** One figure of a benchmark run, beside the baseline it is judged against. */
export interface Row {
  readonly scenario: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** What the figure is compared with, measured in the same run where possible. */
  readonly baseline?: { readonly name: string; readonly value: number };
  /** The goal, in words, and whether this run met it. */
  readonly target?: { readonly text: string; readonly met: boolean };
  readonly note?: string;
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(3).replace(/\.?0+$/, '') || '0';
}

/** The rows as a markdown table: figure, baseline, ratio, target. */
export function toMarkdown(rows: readonly Row[], header: string): string {
  const lines = [
    header,
    '',
    '| scenario | metric | value | baseline (same run) | ratio | target | met |',
    '|---|---|---:|---|---:|---|:-:|',
  ];
  for (const r of rows) {
    const ratio = r.baseline && r.baseline.value !== 0 ? `${fmt(r.value / r.baseline.value)}×` : '';
    const baseline = r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value)} ${r.unit}` : '';
    const met = r.target ? (r.target.met ? 'yes' : '**no**') : '';
    lines.push(`| ${r.scenario} | ${r.metric}${r.note ? ` (${r.note})` : ''} | ${fmt(r.value)} ${r.unit} | ${baseline} | ${ratio} | ${r.target?.text ?? ''} | ${met} |`);
  }
  return `${lines.join('\n')}\n`;
}
