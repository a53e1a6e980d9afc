import { fork } from 'node:child_process';
import { once } from 'node:events';
import { progress } from '../support/progress.js';
import type { Row } from '../support/report.js';
import { ask } from '../processes/ipc.js';

const execArgv = ['--expose-gc', '--import', 'tsx'];

async function measure(n: number): Promise<{ client: number; service: number; ms: number }> {
  const service = fork(new URL('../processes/serviceProcess.ts', import.meta.url).pathname, [], { execArgv });
  try {
    const info = await ask<{ url: string; token: string; endpointId: string }>(service, 'info');
    const serviceBefore = await ask<number>(service, 'heap');
    const client = fork(new URL('../processes/clientProcess.ts', import.meta.url).pathname, [info.url, info.token, info.endpointId, String(n)], { execArgv });
    const [report] = (await once(client, 'message')) as [{ bytesPerTask: number; msPerTask: number; outstanding: number }];
    if (report.outstanding !== n) throw new Error(`expected ${n} outstanding tasks, the client had ${report.outstanding}`);
    const serviceAfter = await ask<number>(service, 'heap');
    client.send('finish');
    await once(client, 'exit');
    return { client: report.bytesPerTask, service: (serviceAfter - serviceBefore) / n, ms: report.msPerTask };
  } finally {
    service.send('stop');
    await once(service, 'exit');
  }
}

/** Scenario 4: heap and time per outstanding task at 1,000, 10,000 and 100,000 tasks. */
export async function scale(): Promise<Row[]> {
  const rows: Row[] = [];
  let first: { client: number; service: number; ms: number } | null = null;
  for (const n of [1_000, 10_000, 100_000]) {
    progress(`scale: ${n.toLocaleString('en')} outstanding tasks`);
    const m = await measure(n);
    first ??= m;
    const label = n.toLocaleString('en');
    const base = n === 1_000 ? undefined : first;
    rows.push({ scenario: '4 scale', metric: `client heap per task at ${label}`, value: m.client, unit: 'B', ...(base ? { baseline: { name: 'at 1,000', value: base.client } } : {}), ...(n === 100_000 ? { target: { text: '≤ 1 KB', met: m.client <= 1024 } } : {}) });
    rows.push({ scenario: '4 scale', metric: `service heap per task at ${label}`, value: m.service, unit: 'B', ...(base ? { baseline: { name: 'at 1,000', value: base.service } } : {}) });
    rows.push({ scenario: '4 scale', metric: `submit time per task at ${label}`, value: m.ms * 1000, unit: 'µs', ...(base ? { baseline: { name: 'at 1,000', value: base.ms * 1000 } } : {}) });
  }
  return rows;
}
