import { execFile } from 'node:child_process';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { describeBlocks } from './blockSpecs.js';
import { slurmHere, slurmJobsLeft } from './support.js';

const slurm = slurmHere();
if (!slurm.ok && process.env.CI) throw new Error(`CI runs the Slurm specs, but ${slurm.reason}`);

if (slurm.ok) {
  describeBlocks({
    name: 'slurm',
    // One CPU per block: two blocks fit the one-node cluster of scripts/slurm-up.sh.
    provider: (blocks) => ({ type: 'slurm', coresPerNode: 1, ...blocks }),
    cannotStart: { provider: { type: 'slurm', partition: 'no-such-partition' }, says: /sbatch failed with exit code 1: .*invalid partition/i },
    kill: async (jobId) => void (await promisify(execFile)('scancel', [jobId])),
    jobsLeft: slurmJobsLeft,
  });
} else {
  it('cluster engine on the slurm provider', { skip: slurm.reason }, () => {});
}
