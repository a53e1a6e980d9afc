import { processesLeft } from './support.js';
import { describeBlocks } from './blockSpecs.js';

describeBlocks({
  name: 'local',
  provider: (blocks) => ({ type: 'local', ...blocks }),
  cannotStart: { provider: { type: 'local', workerInit: 'echo this node has no funcx-rx >&2; exit 3' }, says: /exit code 3: this node has no funcx-rx/ },
  kill: async (pid) => void process.kill(Number(pid), 'SIGKILL'),
  jobsLeft: async (pids) => processesLeft(pids),
});
