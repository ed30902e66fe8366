#!/usr/bin/env bash
# A Slurm test cluster on loopback: munged, slurmctld and three slurmd nodes (w1, w2, w3) on 127.0.0.1, all
# from one folder (FLEET_SLURM_DIR, default /tmp/fleet-slurm), nothing written to /etc. Runs as root (slurmd
# starts jobs as their submitting user). The slurm tests find it through $FLEET_SLURM_DIR/slurm.conf.
#
#   scripts/slurm-cluster.sh up       install slurm-wlm and munge from apt when missing, start, wait until 3 nodes are idle
#   scripts/slurm-cluster.sh down     stop every daemon it started (by the pids it recorded) and remove the folder
#   scripts/slurm-cluster.sh status   sinfo and squeue, or "down"
#   scripts/slurm-cluster.sh env      the export line for SLURM_CONF (eval "$(scripts/slurm-cluster.sh env)")
#
# Idempotent: up on a running cluster only checks it; down on a stopped one does nothing.
set -euo pipefail

dir="${FLEET_SLURM_DIR:-/tmp/fleet-slurm}"
conf="$dir/slurm.conf"
nodes=(w1 w2 w3)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
  local missing=()
  command -v slurmctld >/dev/null 2>&1 || missing+=(slurmctld)
  command -v slurmd >/dev/null 2>&1 || missing+=(slurmd)
  command -v sbatch >/dev/null 2>&1 || missing+=(slurm-client)
  [ -x /usr/sbin/munged ] || missing+=(munge)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "== apt: installing ${missing[*]}"
    # Debian starts services on install unless policy-rc.d says no: this cluster lives in its own folder only.
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

alive() {
  local pidfile="$1" pid
  [ -s "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  # A daemon killed by a test may linger as a zombie until it is reaped: that is not a running daemon.
  kill -0 "$pid" 2>/dev/null && ! awk '{ exit ($3 == "Z") ? 0 : 1 }' "/proc/$pid/stat" 2>/dev/null
}

idle_nodes() {
  SLURM_CONF="$conf" sinfo -h -N -o '%N %T' 2>/dev/null | awk '$2 ~ /^(idle|mixed|allocated)/ {n++} END {print n+0}'
}

write_conf() {
  cat >"$conf" <<EOF
ClusterName=fleet
SlurmctldHost=localhost
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge.sock
CredType=cred/munge
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool-%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SlurmdParameters=config_overrides
JobRequeue=0
ReturnToService=2
SlurmdTimeout=30
MinJobAge=300
SchedulerParameters=sched_interval=1,defer_batch=0
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
NodeName=w[1-3] NodeHostname=localhost NodeAddr=127.0.0.1 Port=17001-17003 CPUs=2 RealMemory=1000
PartitionName=agents Nodes=w[1-3] Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
}

up() {
  install_packages
  mkdir -p "$dir" "$dir/ctld"
  chmod 700 "$dir"
  for n in "${nodes[@]}"; do mkdir -p "$dir/spool-$n"; done
  [ -f "$conf" ] || write_conf

  if ! alive "$dir/munged.pid"; then
    [ -f "$dir/munge.key" ] || { dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none; chmod 400 "$dir/munge.key"; }
    /usr/sbin/munged --force --socket="$dir/munge.sock" --key-file="$dir/munge.key" \
      --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge.seed"
  fi

  export SLURM_CONF="$conf"
  # setsid: the daemons lead sessions of their own, so a terminal's hang-up or a test runner's group kill misses them.
  if ! alive "$dir/slurmctld.pid"; then
    setsid slurmctld -i -f "$conf" >>"$dir/slurmctld.out" 2>&1 </dev/null
  fi
  for n in "${nodes[@]}"; do
    if ! alive "$dir/slurmd-$n.pid"; then
      setsid slurmd -N "$n" -f "$conf" >>"$dir/slurmd-$n.out" 2>&1 </dev/null
    fi
  done

  local deadline=$((SECONDS + 60))
  until [ "$(idle_nodes)" -ge "${#nodes[@]}" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "slurm-cluster: nodes not up after 60 s; logs in $dir" >&2
      SLURM_CONF="$conf" sinfo -N >&2 || true
      exit 1
    fi
    # A node left DOWN by an earlier test is brought back.
    SLURM_CONF="$conf" scontrol update nodename=w[1-3] state=resume >/dev/null 2>&1 || true
    sleep 1
  done
  echo "slurm-cluster: up (SLURM_CONF=$conf; nodes ${nodes[*]})"
}

down() {
  [ -d "$dir" ] || { echo "slurm-cluster: down"; return 0; }
  if [ -f "$conf" ] && alive "$dir/slurmctld.pid"; then
    # Cancel every job first, so no job's processes outlive the cluster.
    SLURM_CONF="$conf" scancel --full --signal=KILL --state=RUNNING >/dev/null 2>&1 || true
    SLURM_CONF="$conf" scancel --state=PENDING >/dev/null 2>&1 || true
  fi
  local pidfiles=("$dir"/slurmd-*.pid "$dir/slurmctld.pid" "$dir/munged.pid")
  for f in "${pidfiles[@]}"; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  local deadline=$((SECONDS + 15))
  for f in "${pidfiles[@]}"; do
    while alive "$f" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    alive "$f" && kill -9 "$(cat "$f")" 2>/dev/null || true
  done
  rm -rf "$dir"
  echo "slurm-cluster: down"
}

status() {
  if [ -f "$conf" ] && alive "$dir/slurmctld.pid"; then
    SLURM_CONF="$conf" sinfo -N
    SLURM_CONF="$conf" squeue
  else
    echo "slurm-cluster: down"
    return 3
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
