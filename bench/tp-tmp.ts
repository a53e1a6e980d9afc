import { FuncXClient, FuncXExecutor } from 'funcx-rx';
import { startLocalService, WorkerPool } from 'funcx-rx/service';
import { pack } from '/work/main/lib/serialize/pack.js';
import { packPayload, serializeFunction } from '/work/main/lib/serialize/serialize.js';
const TASKS = 20000; const noop = (x: number) => x * 2;
async function ex() {
  const local = await startLocalService({ workers: 2 });
  const fx = new FuncXExecutor(new FuncXClient({ serviceUrl: local.url, token: local.token }), { endpointId: local.endpointId, batchInterval: 10, batchSize: 2000 });
  await fx.submit(noop, 0);
  const start = performance.now();
  const futures = Array.from({ length: TASKS }, (_, i) => fx.submit(noop, i));
  for (const f of futures) await f;
  const r = TASKS / ((performance.now() - start) / 1000);
  await fx.shutdown(); await local.stop(); return r;
}
async function pool() {
  const pool = new WorkerPool({ workers: 2 });
  const functionCode = pack([serializeFunction(noop)]);
  await pool.run({ functionId: 'noop', functionCode, payload: packPayload([0]) });
  const start = performance.now();
  await Promise.all(Array.from({ length: TASKS }, (_, i) => pool.run({ functionId: 'noop', functionCode, payload: packPayload([i]) })));
  const r = TASKS / ((performance.now() - start) / 1000); await pool.close(); return r;
}
for (let i = 0; i < 3; i++) console.log('executor', (await ex()).toFixed(0), 'pool', (await pool()).toFixed(0));
