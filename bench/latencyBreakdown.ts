// `npx tsx bench/latencyBreakdown.ts`: where one task's round trip goes, hop by hop, on an
// embedded service with one worker: HTTP floors (a GET, an authenticated POST), a submit alone
// (its endpoint away, so nothing is dispatched), and a submit through to its result on a raw
// result socket (no client library). Medians and p99 of 500 after 300 warm-up each, in ms.
import WebSocket from 'ws';
import { v4 as uuidv4 } from 'uuid';
import { FuncXClient } from 'funcx-rx';
import { startLocalService } from 'funcx-rx/service';
import { packPayload } from '../lib/serialize/serialize.js';
import { percentile } from './support/stats.js';

const WARM_UP = 300;
const SAMPLES = 500;

/** Runs `once` WARM_UP + SAMPLES times and prints the median and p99 of the samples (`once` may answer its own end time). */
async function time(label: string, once: (i: number) => Promise<number | void>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < WARM_UP + SAMPLES; i++) {
    const start = performance.now();
    const end = (await once(i)) ?? performance.now();
    if (i >= WARM_UP) samples.push(end - start);
  }
  row(label, samples);
  return samples;
}

function row(label: string, samples: readonly number[]): void {
  process.stdout.write(`| ${label} | ${percentile(samples, 50).toFixed(3)} | ${percentile(samples, 99).toFixed(3)} |\n`);
}

const local = await startLocalService({ workers: 1, rateLimit: false });
const headers = { authorization: `Bearer ${local.token}`, 'content-type': 'application/json' };
const post = (path: string, body: unknown): Promise<string> => fetch(`${local.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }).then((r) => r.text());
try {
  const fxc = new FuncXClient({ serviceUrl: local.url, token: local.token });
  const functionId = await fxc.registerFunction((x: number) => x * 2);
  const submitBody = (group: string, endpointId: string, i: number) => ({ task_group_id: group, tasks: [[functionId, endpointId, packPayload([i]), uuidv4()]] });
  // An endpoint of the same user that never connects: a submit to it dispatches nothing.
  const { endpoint_id: awayId } = JSON.parse(await post('/v2/endpoints', { endpoint_name: 'away' })) as { endpoint_id: string };
  process.stdout.write(`${new Date().toISOString().slice(0, 10)}, \`npx tsx bench/latencyBreakdown.ts\`, one worker; ms, ${SAMPLES} samples after ${WARM_UP}\n\n| hop | p50 | p99 |\n|---|---:|---:|\n`);
  await time('GET /v2/health (no token)', async () => void (await fetch(`${local.url}/v2/health`).then((r) => r.text())));
  await time('POST /v2/batch_status, one unknown id', async () => void (await post('/v2/batch_status', { task_ids: [uuidv4()] })));
  const awayGroup = uuidv4();
  await time('POST /v2/submit, its endpoint away (nothing dispatched)', async (i) => void (await post('/v2/submit', submitBody(awayGroup, awayId, i))));
  const group = uuidv4();
  const socket = new WebSocket(`${local.url.replace('http', 'ws')}/ws/v2/?batch=1`, { headers: { authorization: `Bearer ${local.token}` } });
  socket.on('error', (error) => process.stderr.write(`result socket: ${error.message}\n`));
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(group);
  let heard: ((at: number) => void) | null = null;
  socket.on('message', () => heard?.(performance.now()));
  const answers: number[] = [];
  await time('POST /v2/submit → its result on a raw result socket', async (i) => {
    const result = new Promise<number>((resolve) => (heard = resolve));
    const start = performance.now();
    await post('/v2/submit', submitBody(group, local.endpointId, i));
    if (i >= WARM_UP) answers.push(performance.now() - start);
    return result;
  });
  row('… of which the submit\'s answer', answers);
  socket.close();
  await fxc.close();
} finally {
  await local.stop();
}
