import { proxyChaosRun } from '../support/proxyChaosRun.js';
import { progress } from '../support/progress.js';
import type { Row } from '../support/report.js';

/**
 * Issue 9's outside chaos run: 20,000 tasks (half async client, half executor) with fault
 * proxies on the client and endpoint links resetting, closing or stalling connections every
 * 100–400 ms, the endpoint process SIGKILLed and restarted, 400 cancellations, and a final
 * partition of the client link that heals; against the same run without faults.
 */
export async function proxyChaos(): Promise<Row[]> {
  const tasks = 20_000;
  const cancels = 400;
  progress(`proxy chaos: ${tasks} tasks, ${cancels} cancels, fault-free then with faults`);
  const clean = await proxyChaosRun({ tasks, cancels, faults: false, seed: 1 });
  progress(`proxy chaos: fault-free run ${JSON.stringify(clean)}`);
  const faulty = await proxyChaosRun({ tasks, cancels, faults: true, seed: 1 });
  progress(`proxy chaos: faulty run ${JSON.stringify(faulty)}`);
  const s = '8 proxy chaos';
  const zero = (value: number): { text: string; met: boolean } => ({ text: '0', met: value === 0 });
  return [
    { scenario: s, metric: 'tasks (async client + executor)', value: faulty.tasks, unit: 'tasks' },
    { scenario: s, metric: 'faults injected by the two proxies (resets, closes, stalls, refused)', value: faulty.faults, unit: 'faults', note: `endpoint SIGKILLed and restarted ${faulty.endpointKills}×; client link partitioned 1.5 s, ${faulty.partitionRefused} connections refused` },
    { scenario: s, metric: 'hung tasks', value: faulty.hung, unit: 'tasks', target: zero(faulty.hung) },
    { scenario: s, metric: 'lost tasks (failed although not cancelled)', value: faulty.lost, unit: 'tasks', target: zero(faulty.lost) },
    { scenario: s, metric: 'duplicate deliveries to user code', value: faulty.duplicates, unit: 'tasks', target: zero(faulty.duplicates) },
    { scenario: s, metric: 'wrong values', value: faulty.wrong, unit: 'tasks', target: zero(faulty.wrong) },
    { scenario: s, metric: `cancelled tasks whose outcome differs from the service's record (of ${faulty.cancelsAsked})`, value: faulty.cancelDisagreements, unit: 'tasks', target: zero(faulty.cancelDisagreements) },
    { scenario: s, metric: 'wall time with faults', value: faulty.seconds, unit: 's', baseline: { name: 'fault-free run', value: clean.seconds } },
  ];
}
