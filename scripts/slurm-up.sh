#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the cluster specs and for trying the `slurm`
# provider: munge, slurmctld and slurmd from Debian's `munge` and `slurm-wlm`, as root, without
# cgroups or accounting. Idempotent: run it again and it only checks that the node is idle.
# Exit 0 when `sinfo` shows the node idle (or mixed/allocated: already in use), 1 otherwise.
#
#   sudo bash scripts/slurm-up.sh            # then: sbatch, squeue, scancel
#   FUNCX_SLURM_PARTITION=debug (default)    # the one partition's name
set -euo pipefail

for tool in munged slurmctld slurmd sinfo; do
  command -v "$tool" >/dev/null 2>&1 || { echo "slurm-up: $tool not found (apt-get install slurm-wlm munge)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "slurm-up: run as root" >&2; exit 1; }

node=$(hostname -s)
partition=${FUNCX_SLURM_PARTITION:-debug}
cpus=$(nproc)
conf=/etc/slurm/slurm.conf

node_state() { sinfo -h -N -n "$node" -o '%T' 2>/dev/null | head -n 1; }
ready() { case "$(node_state)" in idle|mixed|allocated|completing) return 0 ;; *) return 1 ;; esac; }

if pgrep -x slurmctld >/dev/null && pgrep -x slurmd >/dev/null && ready; then
  echo "slurm-up: node $node is $(node_state)"
  exit 0
fi

# munge: the key every Slurm daemon and client signs with.
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! pgrep -x munged >/dev/null; then
  runuser -u munge -- munged
fi

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
if [ ! -f "$conf" ] || ! grep -q '^# written by funcx-rx scripts/slurm-up.sh' "$conf"; then
  [ -f "$conf" ] && cp "$conf" "$conf.before-funcx-rx"
  cat >"$conf" <<EOF
# written by funcx-rx scripts/slurm-up.sh
ClusterName=funcx
SlurmctldHost=${node}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
MinJobAge=30
KillWait=5
NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN
PartitionName=${partition} Nodes=${node} Default=YES MaxTime=INFINITE State=UP
EOF
fi

pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd

# Wait for the node to register and turn idle (a few seconds), at most 60 s.
for _ in $(seq 1 120); do
  if ready; then
    echo "slurm-up: node $node is $(node_state) (partition $partition, $cpus CPUs)"
    exit 0
  fi
  state=$(node_state || true)
  # A node left down or drained by an earlier run comes back at once.
  case "$state" in down*|drain*) scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true ;; esac
  sleep 0.5
done
echo "slurm-up: node $node did not become idle (state: $(node_state || echo unknown)); see /var/log/slurm/" >&2
exit 1
