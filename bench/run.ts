// `npm run bench`: every scenario in one go; figures beside baselines from the same run.
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { blocks } from './scenarios/blocks.js';
import { cancelLoop } from './scenarios/cancelLoop.js';
import { chaos } from './scenarios/chaos.js';
import { dag } from './scenarios/dag.js';
import { partials } from './scenarios/partials.js';
import { latency } from './scenarios/latency.js';
import { proxyChaos } from './scenarios/proxyChaos.js';
import { pythonWorkers } from './scenarios/python.js';
import { redisMode } from './scenarios/redisMode.js';
import { scale } from './scenarios/scale.js';
import { seedBatch } from './scenarios/seedBatch.js';
import { stress } from './scenarios/stress.js';
import { throughput } from './scenarios/throughput.js';
import { progress } from './support/progress.js';
import { toMarkdown, type Row } from './support/report.js';

const started = performance.now();
const workers = availableParallelism();
const rows: Row[] = [];
// `npm run bench -- <name>...` runs only the named scenarios and leaves bench/results/ as it is.
const only = process.argv.slice(2);
for (const [name, scenario] of [
  ['seed batch demo', () => seedBatch(1)],
  ['throughput and connections', () => throughput(5, workers)],
  ['latency', () => latency()],
  ['scale', () => scale()],
  ['chaos', () => chaos(1)],
  ['cancellation', () => cancelLoop(3)],
  ['stress', () => stress()],
  ['redis', () => redisMode(5, workers)],
  ['python', () => pythonWorkers(5, workers)],
  ['proxy chaos', () => proxyChaos()],
  ['blocks', () => blocks(3)],
  ['dag', () => dag(5, workers)],
  ['partials', () => partials(5, workers)],
] as const) {
  if (only.length > 0 && !only.includes(name)) continue;
  const t = performance.now();
  rows.push(...(await scenario()));
  progress(`${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

const when = new Date().toISOString();
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}`;
const header = `Benchmarks of ${when.slice(0, 10)} on ${machine}; medians of repeated runs, ratios against baselines measured in the same run.`;
process.stdout.write(toMarkdown(rows, header));
const missed = rows.filter((r) => r.target && !r.target.met);
progress(missed.length === 0 ? 'every target met' : `targets missed (${missed.length}): ${missed.map((r) => `${r.scenario} / ${r.metric} (${r.target!.text})`).join('; ')}`);
if (only.length === 0) {
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(new URL('./results/latest.md', import.meta.url), toMarkdown(rows, header));
  await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify({ when, machine, rows }, null, 2)}\n`);
}
progress(`all done in ${((performance.now() - started) / 1000).toFixed(0)} s${only.length === 0 ? '; wrote bench/results/latest.md and latest.json' : ''}`);
