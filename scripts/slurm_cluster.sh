#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, without systemd, for `make test` and for trying
# `workers.launch: slurm` by hand. Needs root (it writes /etc/slurm/slurm.conf and runs munged
# as the munge user).
#
#   scripts/slurm_cluster.sh install   apt-get the daemons and clients if sbatch is missing
#   scripts/slurm_cluster.sh start     write the configuration, start munged, slurmctld, slurmd
#   scripts/slurm_cluster.sh stop      stop what start started (by its PID files)
#   scripts/slurm_cluster.sh status    sinfo
#
# State, logs and PID files go to $TESSERA_SLURM_DIR (default /tmp/tessera-slurm). The node
# advertises $TESSERA_SLURM_CPUS CPUs (default 8, more than this machine may have:
# SlurmdParameters=config_overrides lets slurmd accept it), so a job can hold a scheduler
# and several workers on a 2-core machine.
set -euo pipefail
dir=${TESSERA_SLURM_DIR:-/tmp/tessera-slurm}
cpus=${TESSERA_SLURM_CPUS:-8}
node=$(hostname -s)          # slurmd finds its NodeName by the short hostname
conf=/etc/slurm/slurm.conf   # where Debian's binaries look
say() { printf 'slurm_cluster: %s\n' "$*" >&2; }

install() {
  command -v sbatch > /dev/null && command -v slurmctld > /dev/null && command -v munged > /dev/null && return 0
  say "installing slurmctld, slurmd, slurm-client and munge"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slurmctld slurmd slurm-client munge > "$dir.install.log" 2>&1 \
    || { DEBIAN_FRONTEND=noninteractive apt-get update -q > /dev/null 2>&1 && \
         DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slurmctld slurmd slurm-client munge > "$dir.install.log" 2>&1; }
}

configure() {
  mkdir -p "$dir"/{state,spool} /etc/slurm
  cat > "$conf" <<CONF
# Written by tessera's scripts/slurm_cluster.sh: one node, root daemons, no accounting.
ClusterName=tessera
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
}

munge_works() { munge -n 2> /dev/null | unmunge > /dev/null 2>&1; }

start_munge() {
  if munge_works; then return 0; fi
  [ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /etc/munge/munge.key /run/munge /var/log/munge /var/lib/munge
  chmod 400 /etc/munge/munge.key; chmod 755 /run/munge; chmod 700 /var/log/munge /var/lib/munge
  # munged refuses a key that is not its own user's.
  # Daemons get no descriptor of ours: a caller reading our output would wait for them to exit.
  runuser -u munge -- /usr/sbin/munged < /dev/null > "$dir/munged.out" 2>&1
  cp /run/munge/munged.pid "$dir/munged.pid"
  for _ in $(seq 50); do munge_works && return 0; sleep 0.1; done
  say "munged did not start"; cat /var/log/munge/munged.log >&2; return 1
}

start() {
  install
  configure
  start_munge
  slurmctld -c -i < /dev/null > "$dir/slurmctld.out" 2>&1
  for _ in $(seq 100); do [[ "$(scontrol ping 2> /dev/null)" == *UP* ]] && break; sleep 0.2; done
  slurmd < /dev/null > "$dir/slurmd.out" 2>&1
  local state=""
  for _ in $(seq 150); do
    state=$(sinfo -h -n "$node" -o %t 2> /dev/null || true)
    [[ "$state" == idle* ]] && break
    sleep 0.2
  done
  [[ "$state" == idle* ]] || { say "node is '$state', not idle"; tail -n 20 "$dir"/slurm*.log >&2; return 1; }
  say "up: node $node, $cpus CPUs, partition debug"
}

stop_one() {
  [ -s "$2" ] || return 0
  local pid; pid=$(cat "$2")
  if kill "$pid" 2> /dev/null; then
    for _ in $(seq 100); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2> /dev/null && kill -9 "$pid"
  fi
  rm -f "$2"
}

stop() {
  stop_one slurmd "$dir/slurmd.pid"
  stop_one slurmctld "$dir/slurmctld.pid"
  stop_one munged "$dir/munged.pid"   # only when start started it
}

case "${1:-}" in
  install) mkdir -p "$(dirname "$dir")"; install ;;
  start) start ;;
  stop) stop ;;
  status) sinfo ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
