import { MemoryBackend } from '../../lib/service/backends/memory/MemoryBackend.js';
import { backendContract } from '../support/backendContract.js';

// One process: both handles are the same backend, and racing calls interleave at every await.
backendContract('memory', async () => {
  const backend = new MemoryBackend();
  return { a: backend, b: backend, close: () => backend.close() };
});
