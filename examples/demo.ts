// The main demo: the seed talk's four examples, one after another, each on the embedded service
// (or on the service named by FUNCX_SERVICE_URL, FUNCX_TOKEN and FUNCX_ENDPOINT_ID).
import { asyncApi } from './async.js';
import { executorBatch } from './executor-batch.js';
import { executor } from './executor.js';
import { existingModel } from './existing-model.js';

const examples: [string, () => Promise<void>][] = [
  ['Existing funcX model (HTTP polling)', existingModel],
  ['Async API (WebSocket under the hood)', asyncApi],
  ['FuncXExecutor', executor],
  ['FuncXExecutor with batching', executorBatch],
];

for (const [title, example] of examples) {
  console.log(`\n== ${title} ==`);
  await example();
}
