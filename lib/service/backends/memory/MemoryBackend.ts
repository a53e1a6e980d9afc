import type { Backend } from '../../core/Backend.js';
import type { EndpointEntry, FunctionEntry } from '../../core/records.js';
import { ServiceStats } from '../../ServiceStats.js';
import { MemoryGroupRepo } from './MemoryGroupRepo.js';
import { MemoryIdentityRepo } from './MemoryIdentityRepo.js';
import { MemoryPresence } from './MemoryPresence.js';
import { MemoryRegistry } from './MemoryRegistry.js';
import { MemoryTaskBus } from './MemoryTaskBus.js';
import { MemoryTaskRepo } from './MemoryTaskRepo.js';

/**
 * Everything in this process's memory: the default for `startLocalService` and `funcx-rx serve`.
 * Fast, and lost when the process ends; one replica only.
 *
 * @example
 * ```ts
 * const service = await FuncXService.start({ backend: new MemoryBackend() });
 * ```
 */
export class MemoryBackend implements Backend {
  readonly tasks = new MemoryTaskRepo();
  readonly groups = new MemoryGroupRepo();
  readonly functions = new MemoryRegistry<FunctionEntry>('lastUsedAt');
  readonly endpoints = new MemoryRegistry<EndpointEntry>('lastSeenAt');
  readonly identity = new MemoryIdentityRepo();
  readonly counters = new ServiceStats();
  readonly bus = new MemoryTaskBus(this.tasks);
  readonly presence = new MemoryPresence();

  async close(): Promise<void> {}
}
