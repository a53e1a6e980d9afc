// A service in its own process for the stress scenario: its heap is weighed apart from the load
// generator's, and slow connections to it are real sockets. Options come as JSON in argv[2].
import { FuncXService } from 'funcx-rx/service';
import { heapAfterGc } from './ipc.js';

const service = await FuncXService.start(JSON.parse(process.argv[2] ?? '{}'));
const users = await Promise.all(Array.from({ length: 8 }, () => service.issueToken()));
// Registered but never connected: submitted tasks wait until cancelled, then expire.
const { endpointId } = await service.registerEndpoint(users[0]!.userId);

process.on('message', (message: string) => {
  if (message === 'info') process.send!({ url: service.url, tokens: users.map((u) => u.token), endpointId });
  else if (message === 'heap') process.send!(heapAfterGc());
  // Far enough ahead that every ended task is past its retention.
  else if (message === 'sweep') void sweepAll().then((tasksDeleted) => process.send!({ tasksDeleted }));
  else if (message === 'stats') void service.stats().then((stats) => process.send!(stats));
  else if (message === 'stop') void service.close().then(() => process.disconnect());
});

/** Sweeps until nothing more goes (one sweep handles a bounded batch), far enough ahead that every ended task is past its retention. */
async function sweepAll(): Promise<number> {
  let total = 0;
  for (;;) {
    const { tasksDeleted } = await service.sweep(Date.now() + 15 * 24 * 3600 * 1000);
    if (tasksDeleted === 0) return total;
    total += tasksDeleted;
  }
}
