import { chaosRun } from '../../spec/support/chaosRun.js';
import { progress } from '../support/progress.js';
import type { Row } from '../support/report.js';
import { median, repeat } from '../support/stats.js';

/**
 * The chaos run (issue 5): 10,000 tasks while the service drops the client's result socket
 * every ~200 ms and the endpoint's connection twice, against the same run without faults.
 */
export async function chaos(repeats: number): Promise<Row[]> {
  progress(`chaos: 10,000 tasks with and without faults, ${repeats} runs each`);
  const clean = await repeat(repeats, () => chaosRun({ tasks: 10_000, faults: false }));
  const faulty = await repeat(repeats, () => chaosRun({ tasks: 10_000, faults: true, dropEveryMs: 200 }));
  const worst = (key: 'lost' | 'duplicates' | 'wrong'): number => Math.max(...faulty.map((r) => r[key]));
  const cleanSeconds = median(clean.map((r) => r.seconds));
  const faultySeconds = median(faulty.map((r) => r.seconds));
  return [
    { scenario: '6 chaos', metric: 'faults injected per run (result socket drops + endpoint drops)', value: median(faulty.map((r) => r.resultSocketDrops + r.endpointDrops)), unit: 'faults' },
    { scenario: '6 chaos', metric: 'lost tasks (worst run)', value: worst('lost'), unit: 'tasks', target: { text: '0', met: worst('lost') === 0 } },
    { scenario: '6 chaos', metric: 'duplicate deliveries to user code (worst run)', value: worst('duplicates'), unit: 'tasks', target: { text: '0', met: worst('duplicates') === 0 } },
    { scenario: '6 chaos', metric: 'wrong values (worst run)', value: worst('wrong'), unit: 'tasks', target: { text: '0', met: worst('wrong') === 0 } },
    { scenario: '6 chaos', metric: 'wall time with faults', value: faultySeconds, unit: 's', baseline: { name: 'fault-free run', value: cleanSeconds } },
  ];
}
