import { FuncXClient, FuncXExecutor } from 'funcx-rx';
import { startLocalService } from 'funcx-rx/service';
import { doubleDelayed } from '../../examples/support/doubleDelayed.js';
import { progress } from '../support/progress.js';
import type { Row } from '../support/report.js';
import { median, repeat } from '../support/stats.js';

const TASKS = 50;
const INTERVAL_MS = 1000;
const SEED_SECONDS = 8.47;

/** One run of the seed's batch demo: 50 × doubleDelayed, batching at 1 s, on W workers. */
async function once(workers: number): Promise<number> {
  const local = await startLocalService({ workers });
  try {
    const fx = new FuncXExecutor(new FuncXClient({ serviceUrl: local.url, token: local.token }), {
      endpointId: local.endpointId,
      batchInterval: INTERVAL_MS,
    });
    const start = performance.now();
    const futures = Array.from({ length: TASKS }, (_, i) => fx.submit(doubleDelayed, i));
    for (const future of futures) await future.result();
    const seconds = (performance.now() - start) / 1000;
    await fx.shutdown();
    return seconds;
  } finally {
    await local.stop();
  }
}

/**
 * Scenario 1: the seed's batch demo at W = 4, 8, 16 against its ideal,
 * `first flush + ceil(50 / W) × 1 s`, and against the seed's 8.47 s.
 */
export async function seedBatch(repeats: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const workers of [4, 8, 16]) {
    progress(`seed batch demo, W=${workers}: ${repeats} runs`);
    const seconds = median(await repeat(repeats, () => once(workers)));
    const ideal = INTERVAL_MS / 1000 + Math.ceil(TASKS / workers) * 1;
    rows.push({
      scenario: '1 seed batch demo',
      metric: `wall time, W=${workers}`,
      value: seconds,
      unit: 's',
      baseline: { name: 'ideal', value: ideal },
      target: { text: 'within 2 % of ideal', met: seconds <= ideal * 1.02 },
    });
    rows.push({
      scenario: '1 seed batch demo',
      metric: `wall time, W=${workers}`,
      value: seconds,
      unit: 's',
      baseline: { name: 'funcX seed (tutorial endpoint)', value: SEED_SECONDS },
      note: 'vs seed',
    });
  }
  return rows;
}
